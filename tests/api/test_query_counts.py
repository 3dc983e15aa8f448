"""The hot paths run a constant number of queries, whatever the size of the book.

Counted with the storage layer's test-only counter (api/db/query_count.py), for a book of 10
contacts and one of 5,000, on both engines. No time is measured here (speed is `make bench`).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from api.db import query_count, write_transaction
from api.services.strength import refresh_user
from api.services.users import find_user
from api.store import circles as circle_store
from api.store import contacts as contact_store
from api.store import interactions as interaction_store
from tests.conftest import make_user, new_client, sign_in

SMALL, LARGE = 10, 5_000
# The most statements each path may send (session + user are the first two of every signed-in
# path): the prepared hot reads (api/db/hot.py) join what used to be separate queries.
MOST = {
    "auth/me": 2,
    "today": 5,
    "contacts?limit=50": 4,
    "strength": 5,
    "feed 304": 3,
    # session 2, contact+circle+idempotency key+day log, the interaction stored under the key
    # and its follow-ups (the counted request repeats the warm-up's key: a replay), the answer
    "record interaction": 6,
    # session 2, contact+circle+key+day log+reminder, insert, everyone else's reminders per
    # day (when it falls due inside the horizon), contact and day log updates, its reminder, the
    # answer
    "record new interaction": 9,
}
FULL_SCAN = re.compile(r"^SCAN \w+$")
SUBQUERY = ("MATERIALIZE ", "CO-ROUTINE ")


async def _book(email: str, size: int, now: dt.datetime) -> None:
    """`size` people across the circles, three past interactions each, scheduled nightly."""
    user = await make_user(email)
    rng = random.Random(size)
    async with write_transaction():
        circles = list((await circle_store.ids_by_name(user.id)).values())
        rows = [
            {
                "full_name": f"Person {n}",
                "given_name": "Person",
                "family_name": str(n),
                "emails": [f"p{n}@example.com"],
                "phones": [],
                "circle": circles[n % len(circles)],
                "entered_on": (now - dt.timedelta(days=400)).date(),
                "source": "test",
                "created_at": now - dt.timedelta(days=400),
                "updated_at": now - dt.timedelta(days=400),
            }
            for n in range(size)
        ]
        ids = await contact_store.insert_many(user.id, rows)
        await contact_store.insert_keys(
            user.id, [(cid, "email", f"p{n}@example.com") for n, cid in enumerate(ids)]
        )
        events = [
            {
                "contact": cid,
                "kind": "call",
                "at": now - dt.timedelta(days=rng.randint(1, 300)),
                "direction": "out",
                "source": "test",
                "created_at": now,
            }
            for cid in ids
            for _ in range(3)
        ]
        await interaction_store.insert_many(user.id, events)
    await refresh_user(await find_user(email), now)


async def _counts(app: Any, email: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Queries per hot path, each path warmed once first (the feed's cache fills then)."""
    counts: dict[str, int] = {}
    statements: dict[str, list[str]] = {}
    async with new_client(app) as c:
        assert (await sign_in(c, email)).status_code == 200
        contacts = (await c.get("/api/contacts", params={"limit": 50})).json()
        cid = contacts[0]["id"] if isinstance(contacts, list) else contacts["items"][0]["id"]
        feed_path = "/" + (await c.get("/api/feed")).json()["https_url"].split("/", 3)[3]
        etag = (await c.get(feed_path)).headers["etag"]

        async def count(name: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
            await c.request(method, url, **kwargs)  # warm
            with query_count.counting() as counter:
                r = await c.request(method, url, **kwargs)
            counts[name] = counter.count
            statements[name] = counter.statements
            return r

        await count("auth/me", "GET", "/api/auth/me")
        await count("today", "GET", "/api/today")
        await count("contacts?limit=50", "GET", "/api/contacts", params={"limit": 50})
        await count("strength", "GET", f"/api/contacts/{cid}/strength")
        r = await count("feed 304", "GET", feed_path, headers={"if-none-match": etag})
        assert r.status_code == 304
        r = await count(
            "record interaction",
            "POST",
            f"/api/contacts/{cid}/interactions",
            json={"kind": "coffee", "idempotency_key": f"count-{cid}"},
        )
        assert r.status_code in (200, 201), r.text
        # A new interaction (a key not seen before) on another contact, rescored from its day
        # log: no read of its history, whatever its length.
        other = contacts[1]["id"] if isinstance(contacts, list) else contacts["items"][1]["id"]
        with query_count.counting() as counter:
            r = await c.post(
                f"/api/contacts/{other}/interactions",
                json={"kind": "call", "idempotency_key": f"new-{other}"},
            )
        assert r.status_code == 201, r.text
        counts["record new interaction"] = counter.count
        statements["record new interaction"] = counter.statements
    return counts, statements


def _full_scans(path: Path, statements: list[str]) -> list[str]:
    """SQLite's plan lines that read a whole table (https://sqlite.org/eqp.html): `SCAN t`
    without an index. The plan does not depend on the values, so every `?` is bound to NULL."""
    found = []
    with sqlite3.connect(path) as conn:
        for sql in statements:
            if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                continue
            plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}", [None] * sql.count("?")).fetchall()
            # `SCAN r` of a subquery's result (`MATERIALIZE r`, `CO-ROUTINE r`: one row of
            # aggregates in the feed's fingerprint) reads no table.
            made = {row[-1].split()[-1] for row in plan if row[-1].startswith(SUBQUERY)}
            found += [
                f"{row[-1]} in {sql[:120]}"
                for row in plan
                if FULL_SCAN.match(row[-1]) and row[-1].split()[-1] not in made
            ]
    return found


async def test_hot_paths_run_the_same_few_queries_for_10_and_5000_contacts(app, clock, clean_db):
    await _book("small@example.com", SMALL, clock())
    await _book("large@example.com", LARGE, clock())
    small, _ = await _counts(app, "small@example.com")
    large, statements = await _counts(app, "large@example.com")
    assert large == small, (small, large)
    assert {k: min(v, MOST[k]) for k, v in small.items()} == small, small
    if clean_db.engine == "sqlite":
        every = [sql for sqls in statements.values() for sql in sqls]
        assert _full_scans(clean_db.sqlite_path, every) == []
