"""Past meetings from a calendar export become interactions; a future one holds a reminder back."""

from __future__ import annotations

from pathlib import Path

from api.db.tables import Interaction
from api.services.strength import refresh_user
from api.services.users import find_user
from tests.api.test_imports import JANE_VCF, upload

ICS = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "import"
    / "calendar-past-meetings-and-a-future-one.ics"
)


async def _setup(alice, clock) -> dict[str, dict]:
    await upload(alice, JANE_VCF)
    people = {c["full_name"]: c for c in (await alice.get("/api/contacts")).json()["items"]}
    close = next(x["id"] for x in (await alice.get("/api/circles")).json() if x["name"] == "Close")
    old = "2026-03-01"
    for name in ("Jane Doe", "Ann Lee"):
        cid = people[name]["id"]
        await alice.patch(f"/api/contacts/{cid}", json={"circle_id": close})
        await alice.post(f"/api/contacts/{cid}/interactions", json={"kind": "call", "on": old})
    user = await find_user("alice@example.com")
    await refresh_user(user, clock())
    return {c["full_name"]: c for c in (await alice.get("/api/contacts")).json()["items"]}


async def test_met_contacts_health_rises_and_their_reminders_move_later(alice, clock):
    before = await _setup(alice, clock)
    today = (await alice.get("/api/today")).json()
    due_before = {i["name"]: i["day"] for i in today["due"] + today["upcoming"]}
    assert "Jane Doe" in due_before
    report = await upload(alice, ICS)
    assert report["status"] == "ok" and report["format"] == "ics"
    assert report["counts"]["interactions"] == 3, (
        "2 meetings with Jane and the planned one with Ann"
    )
    await refresh_user(await find_user("alice@example.com"), clock())
    after = {c["full_name"]: c for c in (await alice.get("/api/contacts")).json()["items"]}
    jane_before, jane_after = before["Jane Doe"], after["Jane Doe"]
    assert jane_after["health"] > jane_before["health"]
    assert jane_after["due_on"] > jane_before["due_on"]
    today = (await alice.get("/api/today")).json()
    assert "Jane Doe" not in {i["name"] for i in today["due"] + today["upcoming"]}


async def test_a_future_meeting_holds_the_reminder_back_until_the_day_after(alice, clock):
    await _setup(alice, clock)
    await upload(alice, ICS)
    await refresh_user(await find_user("alice@example.com"), clock())
    today = (await alice.get("/api/today")).json()
    assert "Ann Lee" not in {i["name"] for i in today["due"] + today["upcoming"]}
    ann = next(
        c for c in (await alice.get("/api/contacts")).json()["items"] if c["full_name"] == "Ann Lee"
    )
    kinds = [i["kind"] for i in (await alice.get(f"/api/contacts/{ann['id']}/interactions")).json()]
    assert "planned" in kinds and "meeting" not in kinds, "the declined meeting does not count"


async def test_re_importing_the_same_calendar_creates_no_new_interactions(alice, clock):
    await _setup(alice, clock)
    await upload(alice, ICS)
    count = await Interaction.count().run()
    again = await upload(alice, ICS)
    assert again["counts"]["interactions"] == 0
    assert await Interaction.count().run() == count


async def test_people_met_twice_but_not_added_are_offered_and_added_in_one_tap(alice, clock):
    await _setup(alice, clock)
    await upload(alice, ICS)
    offered = (await alice.get("/api/people-you-meet")).json()
    assert [(p["email"], p["meetings"]) for p in offered] == [("pat@elsewhere.org", 2)]
    r = await alice.post(f"/api/people-you-meet/{offered[0]['id']}/add")
    assert r.status_code == 201, r.text
    pat = r.json()
    assert pat["emails"] == ["pat@elsewhere.org"] and pat["last_kind"] == "meeting"
    assert (await alice.get("/api/people-you-meet")).json() == []


WEST_ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Kith tests//Constructed//EN\r
BEGIN:VEVENT\r
UID:offsite@kith.test\r
DTSTART;VALUE=DATE:20261110\r
DTEND;VALUE=DATE:20261111\r
SUMMARY:Offsite\r
ORGANIZER:mailto:tina@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:floating@kith.test\r
DTSTART:20261112T090000\r
SUMMARY:Breakfast\r
ORGANIZER:mailto:tina@example.com\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def test_all_day_and_floating_meetings_land_on_the_users_own_day_west_of_utc(
    app, clock, tmp_path
):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from tests.conftest import make_user, new_client, sign_in

    await make_user("west@example.com", timezone="America/Los_Angeles")
    async with new_client(app) as west:
        assert (await sign_in(west, "west@example.com")).status_code == 200
        r = await west.post(
            "/api/contacts", json={"full_name": "Tina", "emails": ["tina@example.com"]}
        )
        tina = r.json()["id"]
        path = tmp_path / "west.ics"
        path.write_bytes(WEST_ICS)
        report = await upload(west, path)
        assert report["counts"]["interactions"] == 2, report
        items = (await west.get(f"/api/contacts/{tina}/interactions")).json()
    la = ZoneInfo("America/Los_Angeles")
    at = {i["note"]: dt.datetime.fromisoformat(i["at"]) for i in items}
    # RFC 5545 section 3.3.4: a DATE names a calendar day, which is the user's own day.
    assert at["Offsite"].astimezone(la).date() == dt.date(2026, 11, 10)
    # Section 3.3.5: a floating time is wall-clock time wherever the reader is: the user.
    assert at["Breakfast"] == dt.datetime(2026, 11, 12, 9, tzinfo=la)
