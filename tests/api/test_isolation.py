"""Tenant isolation: user B never reads, changes or even detects user A's data.

The matrix is derived from the route table (api.routes.ROUTES, the list create_app mounts), so a
new route that takes an id is tested as soon as it exists, and fails until this file knows how to
make an id for its path parameter and a valid body for it. For every such route B gets 404 for
A's id, the whole database is byte-for-byte unchanged afterwards, and A's own request with the
same id succeeds (so the 404 is about ownership, not a bad id).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import icalendar
import pytest

from api.db.tables import TABLES, Contact, KVSession, MergeSuggestion, MetPerson
from api.routes import ROUTES
from tests.jobs import run_now

DATA = Path(__file__).resolve().parents[1] / "data"
JANE_VCF = DATA / "import" / "iphone-3.0-jane-in-both-exports.vcf"
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
# Markers only A's data contains: none of them may show up anywhere in B's responses.
A_NAME = "Zebulon Alicesecret"
A_NOTE = "alice-private-note-7f3a"
A_FOLLOW_UP = "alice-promise-9b1c"
A_MET_EMAIL = "alice-met-4d2e@example.org"
B_NAME = "Bartholomew Bobonly"


def id_routes() -> list[tuple[str, str, str]]:
    """(method, path, handler name) for every route with a path parameter."""
    found = []
    for handler in ROUTES:
        for path in handler.paths:
            if not PARAM.search(path):
                continue
            for method in sorted(handler.http_methods):
                found.append((method, path, handler.handler_name))
    return sorted(found)


# The feed's path parameter is a secret token, not an id: it has no session user to isolate
# and is covered by test_a_feed_token_only_ever_yields_its_own_users_events below.
MATRIX = [r for r in id_routes() if not r[1].startswith("/feed/")]

# Valid bodies, so B's 404 comes from the ownership check and not from validation.
BODIES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "update_source": lambda ids: {"label": "Renamed by B"},
    "update_contact": lambda ids: {"full_name": "Hacked by B", "note": "B was here"},
    "update_circle": lambda ids: {"name": "Hacked by B", "cadence_days": 1},
    "log_interaction": lambda ids: {"kind": "coffee", "idempotency_key": "b-key-1"},
    "snooze": lambda ids: {"by": "week"},
    "done": lambda ids: {"kind": "call"},
    "merge": lambda ids: {"keep_id": ids["keep_id"]},
}
BODYLESS = {
    "get_contact",
    "get_photo",
    "archive_contact",
    "unarchive_contact",
    "list_interactions",
    "delete_interaction",
    "contact_strength",
    "skip",
    "follow_up_done",
    "get_import",
    "add_met_person",
    "dismiss_met_person",
    "dismiss",
    "undo",
    "delete_source",
    "run_source",
}


async def _user_id(email: str) -> int:
    from api.services.users import find_user

    return (await find_user(email)).id


async def _circles(c: Any) -> dict[str, int]:
    return {x["name"]: x["id"] for x in (await c.get("/api/circles")).json()}


async def _contact(c: Any, **body: Any) -> int:
    r = await c.post("/api/contacts", json=body)
    assert r.status_code in (200, 201), r.text
    return int(r.json()["id"])


async def build_world(c: Any, clock: Any, folder: Path) -> dict[str, Any]:
    """Alice's account with one of everything that has an id."""
    circles = await _circles(c)
    contact = await _contact(
        c, full_name=A_NAME, note=A_NOTE, circle_id=circles["Close"], emails=["zeb@alice.test"]
    )
    await (
        Contact.update({Contact.photo: b"\xff\xd8\xff\xe0alice-photo"})
        .where(Contact.id == contact)
        .run()
    )
    on = (clock() - dt.timedelta(days=200)).date().isoformat()
    logged = await c.post(
        f"/api/contacts/{contact}/interactions",
        json={
            "kind": "coffee",
            "on": on,
            "idempotency_key": "shared-key-1",
            "follow_up": {"what": A_FOLLOW_UP, "due_on": clock().date().isoformat()},
        },
    )
    assert logged.status_code == 201, logged.text
    interaction = logged.json()["interaction"]
    files = {"file": ("alice-contacts.vcf", JANE_VCF.read_bytes(), "text/vcard")}
    report = await c.post("/api/imports", files=files)
    assert report.status_code == 201 and report.json()["status"] == "ok", report.text
    (folder / "alice-export.vcf").write_bytes(JANE_VCF.read_bytes())
    source = await c.post("/api/sources", json={"kind": "folder", "location": str(folder)})
    assert source.status_code in (200, 201), source.text
    user_id = await _user_id("alice@example.com")
    await MetPerson.insert(
        MetPerson(user=user_id, email=A_MET_EMAIL, name="Met Alicesecret", meetings=3)
    ).run()
    met = await MetPerson.select(MetPerson.id).where(MetPerson.email == A_MET_EMAIL).first().run()
    pair = [await _contact(c, full_name=f"Alicepair{i} Quintessa") for i in range(4)]
    suggestion_ids = []
    for a, b in ((pair[0], pair[1]), (pair[2], pair[3])):
        row = await MergeSuggestion.insert(
            MergeSuggestion(user=user_id, contact_a=a, contact_b=b, score=95, reason="test")
        ).run()
        suggestion_ids.append(int(row[0]["id"]))
    merged = await c.post(
        f"/api/merge-suggestions/{suggestion_ids[1]}/merge", json={"keep_id": pair[2]}
    )
    assert merged.status_code == 200, merged.text
    return {
        "contact_id": contact,
        "circle_id": circles["Close"],
        "interaction_id": interaction["id"],
        "follow_up_id": interaction["follow_up"]["id"],
        "run_id": report.json()["id"],
        "met_id": met["id"] if met else None,
        "suggestion_id": suggestion_ids[0],
        "keep_id": pair[0],
        "undo_id": merged.json()["undo_id"],
        "source_id": source.json()["id"],
        "source_location": str(folder),
    }


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but the session store (B's own session may be touched)."""
    out = {}
    for table in TABLES:
        if table is KVSession:
            continue
        out[table._meta.tablename] = await table.select().order_by(table.id).run()
    return out


def fill(path: str, ids: dict[str, Any]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        assert name in ids, f"no id for path parameter {name!r}: add it to build_world"
        return str(ids[name])

    return PARAM.sub(one, path)


@pytest.fixture
async def world(alice: Any, bob: Any, clock: Any, clean_db: Any) -> dict[str, Any]:
    # Folder sources may only read the user's own drop folder (Settings.folder_roots).
    folder = clean_db.folder_roots(await _user_id("alice@example.com"))[0]
    folder.mkdir(parents=True, exist_ok=True)
    return await build_world(alice, clock, folder)


@pytest.mark.parametrize(
    ("method", "path", "handler"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX]
)
async def test_user_b_gets_404_for_user_a_ids_on_every_route_and_changes_nothing(
    alice: Any, bob: Any, world: dict[str, Any], method: str, path: str, handler: str
) -> None:
    assert handler in BODIES or handler in BODYLESS, (
        f"{handler} ({method} {path}) is new: give it a valid body in BODIES or list it in "
        "BODYLESS, so this matrix tests its ownership check"
    )
    url = fill(path, world)
    body = BODIES[handler](world) if handler in BODIES else None
    before = await snapshot()
    r = await bob.request(method, url, json=body)
    assert r.status_code == 404, f"B got {r.status_code} for A's {url}: {r.text[:300]}"
    assert set(r.json()) == {"error"}, "a 404 says nothing about the row"
    assert A_NAME not in r.text and A_NOTE not in r.text
    assert await snapshot() == before, f"B's {method} {url} changed the database"
    own = await alice.request(method, url, json=body)
    assert own.status_code < 400, f"A's own {method} {url} failed: {own.status_code} {own.text}"


async def test_b_and_a_get_the_same_404_for_a_missing_id_and_for_someone_elses(
    bob: Any, world: dict[str, Any]
) -> None:
    mine = await bob.get(f"/api/contacts/{world['contact_id']}")
    missing = await bob.get("/api/contacts/987654321")
    assert mine.status_code == missing.status_code == 404
    assert mine.json() == missing.json(), "the message must not reveal that the id exists"


async def test_every_id_route_in_the_live_app_is_in_the_matrix(app: Any) -> None:
    live = {
        (method, route.path)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        for method in getattr(handler, "http_methods", ())
        # OPTIONS is Litestar's automatic CORS preflight; outside /api/ live the static PWA
        # files, the OpenAPI document and the feed (tested below), none of them per user.
        if PARAM.search(route.path) and route.path.startswith("/api/") and method != "OPTIONS"
    }
    assert live, "the app has id routes"
    missing = live - {(m, p) for m, p, _ in MATRIX}
    assert not missing, f"routes with ids that the isolation matrix does not cover: {missing}"


async def test_the_matrix_covers_every_kind_of_owned_thing() -> None:
    names = {name for _, path, _ in MATRIX for name in PARAM.findall(path)}
    assert names >= {
        "contact_id",
        "circle_id",
        "interaction_id",
        "follow_up_id",
        "run_id",
        "met_id",
        "suggestion_id",
        "undo_id",
        "source_id",
    }
    handlers = {h for _, _, h in MATRIX}
    assert {"snooze", "skip", "done", "merge", "dismiss", "undo"} <= handlers


LIST_ROUTES = sorted(
    path
    for handler in ROUTES
    for path in handler.paths
    if "GET" in handler.http_methods and path.startswith("/api/") and not PARAM.search(path)
)


@pytest.mark.parametrize("path", LIST_ROUTES)
async def test_b_lists_and_reads_nothing_of_a_on_every_collection_route(
    alice: Any, bob: Any, world: dict[str, Any], path: str
) -> None:
    r = await bob.get(path)
    assert r.status_code == 200, r.text
    for marker in (A_NAME, A_NOTE, A_FOLLOW_UP, A_MET_EMAIL, "alice", world["source_location"]):
        assert marker not in r.text, f"{path} shows B something of A's: {marker!r}"


async def test_b_cannot_file_a_contact_under_a_circle_of_a(bob: Any, world: dict[str, Any]) -> None:
    before = await snapshot()
    r = await bob.post("/api/contacts", json={"full_name": B_NAME, "circle_id": world["circle_id"]})
    assert r.status_code == 404, r.text
    assert await snapshot() == before
    own = await _contact(bob, full_name=B_NAME)
    r = await bob.patch(f"/api/contacts/{own}", json={"circle_id": world["circle_id"]})
    assert r.status_code == 404, r.text
    assert (await bob.get(f"/api/contacts/{own}")).json()["circle_id"] is None
    page = (await bob.get("/api/contacts", params={"circle_id": world["circle_id"]})).json()
    assert page["total"] == 0 and page["items"] == []


async def test_b_cannot_merge_a_contact_of_a_into_its_own_suggestion(
    bob: Any, world: dict[str, Any]
) -> None:
    mine = [await _contact(bob, full_name=f"Bobpair{i} Quintessa") for i in range(2)]
    bob_id = await _user_id("bob@example.com")
    row = await MergeSuggestion.insert(
        MergeSuggestion(user=bob_id, contact_a=mine[0], contact_b=mine[1], score=95, reason="t")
    ).run()
    before = await snapshot()
    r = await bob.post(
        f"/api/merge-suggestions/{row[0]['id']}/merge", json={"keep_id": world["contact_id"]}
    )
    assert r.status_code in (400, 404), r.text
    assert A_NAME not in r.text
    assert await snapshot() == before


FOLDER_BUG = (
    "BUG(api/services/sources.py check_location): a folder source may name any folder the "
    "server can read, so on a shared server B can point a source at A's drop folder (or any "
    "other path) and import A's contacts. Fix: confine API-created folder sources to a per-user "
    "root (e.g. <KITH_DATA_DIR>/drop/<user id>/, resolved, no '..' or symlinks out), or allow "
    "folder sources only from the CLI."
)


async def test_b_cannot_point_a_folder_source_at_the_folder_a_imports_from(
    bob: Any, world: dict[str, Any]
) -> None:
    r = await bob.post(
        "/api/sources", json={"kind": "folder", "location": world["source_location"]}
    )
    if r.status_code < 400:
        await run_now(bob, r.json()["id"])
    names = [c["full_name"] for c in (await bob.get("/api/contacts")).json()["items"]]
    assert names == [], f"B imported A's export through a folder source: {names}"


async def test_the_same_idempotency_key_from_two_users_makes_two_interactions(
    bob: Any, world: dict[str, Any]
) -> None:
    own = await _contact(bob, full_name=B_NAME)
    r = await bob.post(
        f"/api/contacts/{own}/interactions",
        json={"kind": "call", "idempotency_key": "shared-key-1"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["replayed"] is False
    assert r.json()["interaction"]["id"] != world["interaction_id"]
    assert r.json()["interaction"]["contact_id"] == own


async def test_a_feed_token_only_ever_yields_its_own_users_events(
    alice: Any, bob: Any, client: Any, clock: Any
) -> None:
    on = (clock() - dt.timedelta(days=200)).date().isoformat()
    for c, name in ((alice, A_NAME), (bob, B_NAME)):
        circles = await _circles(c)
        cid = await _contact(c, full_name=name, circle_id=circles["Close"], note=f"{name} note")
        r = await c.post(f"/api/contacts/{cid}/interactions", json={"kind": "call", "on": on})
        assert r.status_code == 201, r.text

    async def feed_of(c: Any) -> tuple[str, bytes]:
        url = (await c.get("/api/feed")).json()["https_url"]
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        r = await client.get(path)
        assert r.status_code == 200, r.text
        return path, r.content

    a_path, a_feed = await feed_of(alice)
    b_path, b_feed = await feed_of(bob)
    assert a_path != b_path

    def summaries(raw: bytes) -> set[str]:
        return {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")}

    assert f"Reconnect with {A_NAME}" in summaries(a_feed)
    assert f"Reconnect with {B_NAME}" in summaries(b_feed)
    assert B_NAME.encode() not in a_feed and b"Bobonly" not in a_feed
    assert A_NAME.encode() not in b_feed and b"Alicesecret" not in b_feed
    a_uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(a_feed).walk("VEVENT")}
    b_uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(b_feed).walk("VEVENT")}
    assert not a_uids & b_uids, "event UIDs never collide across users"

    token = a_path.split("/")[2]
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper(), token[:-4]):
        r = await client.get(f"/feed/{forged}/kith.ics")
        assert r.status_code == 404, forged
        assert A_NAME.encode() not in r.content

    rotated = (await alice.post("/api/feed/rotate")).json()["https_url"]
    assert (await client.get(a_path)).status_code == 404
    assert (await client.get(b_path)).status_code == 200, "rotating A's feed leaves B's alone"
    new_a = "/" + rotated.split("://", 1)[1].split("/", 1)[1]
    again = await client.get(new_a)
    assert again.status_code == 200 and B_NAME.encode() not in again.content
