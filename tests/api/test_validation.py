"""Validation at the edge: every value that reaches scoring or scheduling is in range on create and
patch alike, or the request is a 400 naming the field and nothing is stored (issue 16)."""

from __future__ import annotations

import datetime as dt

import pytest

from api.db.tables import Contact, FollowUp, Interaction, User
from api.services.users import create_user
from tests.conftest import PASSWORD

TODAY = dt.date(2026, 11, 21)  # the test clock's day (UTC)
SIX_YEARS = (TODAY + dt.timedelta(days=6 * 365)).isoformat()


async def contact_count() -> int:
    return int(await Contact.count().run())


@pytest.mark.parametrize("days", [0, -3, 99999999999, 3651])
async def test_creating_a_contact_with_a_cadence_out_of_range_is_a_400_and_stores_nothing(
    alice, days
):
    r = await alice.post("/api/contacts", json={"full_name": "Ann", "cadence_override_days": days})
    assert r.status_code == 400, r.text
    assert (
        "cadence_override_days must be a whole number of days between 1 and 3650"
        in (r.json()["error"])
    )
    assert await contact_count() == 0


@pytest.mark.parametrize("days", [1, 3650, None])
async def test_a_cadence_in_range_is_saved_on_create(alice, days):
    r = await alice.post("/api/contacts", json={"full_name": "Ann", "cadence_override_days": days})
    assert r.status_code == 201, r.text
    assert r.json()["cadence_override_days"] == days


@pytest.mark.parametrize("days", [0, -3, 99999999999])
async def test_patching_a_cadence_out_of_range_is_a_400_and_changes_nothing(alice, days):
    ann = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()
    r = await alice.patch(
        f"/api/contacts/{ann['id']}", json={"cadence_override_days": days, "title": "CEO"}
    )
    assert r.status_code == 400, r.text
    assert "cadence_override_days" in r.json()["error"]
    again = (await alice.get(f"/api/contacts/{ann['id']}")).json()
    assert (again["cadence_override_days"], again["title"]) == (None, None)


async def test_a_circle_id_beyond_any_id_is_no_such_circle_not_a_500(alice):
    r = await alice.post("/api/contacts", json={"full_name": "Ann", "circle_id": 2**63 + 5})
    assert r.status_code in (400, 404), r.text
    ann = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()
    r = await alice.patch(f"/api/contacts/{ann['id']}", json={"circle_id": 2**63 + 1})
    assert r.status_code == 404, r.text
    assert r.json()["error"] == "no such circle"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "coffee", "on": "1899-12-31"}, "on must be between 1900-01-01 and 2031-11-21"),
        ({"kind": "coffee", "at": "0001-01-01T00:00:00+14:00"}, "at must be between"),
        ({"kind": "coffee", "at": "9999-12-31T23:59:59"}, "at must be between"),
        ({"kind": "planned", "on": SIX_YEARS}, "on must be between"),
        (
            {"kind": "coffee", "follow_up": {"what": "send deck", "due_on": "2026-11-20"}},
            "follow_up.due_on must be between 2026-11-21 and 2031-11-21",
        ),
        (
            {"kind": "coffee", "follow_up": {"what": "send deck", "due_on": SIX_YEARS}},
            "follow_up.due_on must be between",
        ),
        (
            {
                "kind": "call",
                "on": "2026-03-10",
                "follow_up": {"what": "x", "due_on": "2026-03-09"},
            },
            "follow_up.due_on must be between 2026-03-10 and 2031-11-21",
        ),
    ],
    ids=[
        "before-1900",
        "year-1",
        "year-9999",
        "planned-too-far",
        "follow-up-past",
        "far",
        "before-the-interaction",
    ],
)
async def test_an_interaction_out_of_range_is_a_400_naming_the_field_and_stores_nothing(
    alice, body, field
):
    ann = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()
    r = await alice.post(f"/api/contacts/{ann['id']}/interactions", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]
    assert await Interaction.count().run() == 0
    assert await FollowUp.count().run() == 0


async def test_interactions_at_the_edges_of_the_range_are_logged(alice):
    ann = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()
    url = f"/api/contacts/{ann['id']}/interactions"
    assert (await alice.post(url, json={"kind": "call", "on": "1900-01-01"})).status_code == 201
    body = {"kind": "coffee", "follow_up": {"what": "send deck", "due_on": "2031-11-21"}}
    assert (await alice.post(url, json=body)).status_code == 201
    body = {"kind": "coffee", "follow_up": {"what": "call back", "due_on": TODAY.isoformat()}}
    assert (await alice.post(url, json=body)).status_code == 201
    # Logged after the fact: the promise made that day may already be due.
    body = {
        "kind": "call",
        "on": "2026-01-10",
        "follow_up": {"what": "list", "due_on": "2026-01-20"},
    }
    assert (await alice.post(url, json=body)).status_code == 201


@pytest.mark.parametrize("until", ["2026-11-21", SIX_YEARS], ids=["today", "six-years-ahead"])
async def test_a_snooze_out_of_range_is_a_400_and_stores_nothing(alice, until):
    ann = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()
    r = await alice.post(f"/api/contacts/{ann['id']}/snooze", json={"until": until})
    assert r.status_code == 400, r.text
    assert "until must be between 2026-11-22 and 2031-11-21" in r.json()["error"]
    assert await Interaction.count().run() == 0


async def test_a_snooze_within_five_years_is_saved(alice):
    ann = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()
    r = await alice.post(f"/api/contacts/{ann['id']}/snooze", json={"until": "2031-11-21"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not a known time zone"),
        ({"timezone": "localtime"}, "timezone 'localtime' is not a known time zone"),
        ({"timezone": "../../etc/passwd"}, "is not a known time zone"),
        ({"timezone": ""}, "is not a known time zone"),
        ({"region": "XX"}, "region 'XX' is not a country code (ISO 3166 alpha-2"),
        ({"region": "UK"}, "region 'UK' is not a country code"),
        ({"region": "USA"}, "region 'USA' is not a country code"),
    ],
)
async def test_settings_with_a_zone_or_region_that_does_not_exist_are_a_400(alice, body, message):
    r = await alice.patch("/api/settings", json={**body, "per_day_cap": 9})
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]
    me = (await alice.get("/api/auth/me")).json()
    assert (me["timezone"], me["region"], me["per_day_cap"]) == ("UTC", "US", 3)


async def test_a_region_is_saved_upper_cased(alice):
    r = await alice.patch("/api/settings", json={"region": "gb", "timezone": "Europe/London"})
    assert r.status_code == 200, r.text
    assert (r.json()["region"], r.json()["timezone"]) == ("GB", "Europe/London")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not a known time zone"),
        ({"region": "ZZ"}, "region 'ZZ' is not a country code"),
    ],
)
async def test_an_account_with_a_zone_or_region_that_does_not_exist_is_refused(
    clean_db, kwargs, message
):
    from api.errors import BadRequest

    with pytest.raises(BadRequest, match=message):
        await create_user("ann@example.com", PASSWORD, **kwargs)
    assert await User.count().run() == 0
