"""Interactions drive health, Today and the reminder plan (one code path for all of it)."""

from __future__ import annotations

import datetime as dt

from tests.conftest import make_user


async def _circle_id(c, name: str) -> int:
    return next(x["id"] for x in (await c.get("/api/circles")).json() if x["name"] == name)


async def _due_contact(c, clock, name: str = "Ann Lee", days_ago: int = 200) -> int:
    close = await _circle_id(c, "Close")
    cid = (await c.post("/api/contacts", json={"full_name": name, "circle_id": close})).json()["id"]
    on = (clock() - dt.timedelta(days=days_ago)).date().isoformat()
    r = await c.post(f"/api/contacts/{cid}/interactions", json={"kind": "call", "on": on})
    assert r.status_code == 201, r.text
    return cid


async def test_logging_a_coffee_moves_the_contact_off_today_and_raises_health(alice, clock):
    cid = await _due_contact(alice, clock)
    today = (await alice.get("/api/today")).json()
    assert [i["contact_id"] for i in today["due"]] == [cid]
    before = today["due"][0]["health"]
    assert before <= 39
    r = await alice.post(
        f"/api/contacts/{cid}/interactions", json={"kind": "coffee", "idempotency_key": "k-1"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["contact"]["health"] > before
    assert r.json()["contact"]["last_kind"] == "coffee"
    today = (await alice.get("/api/today")).json()
    assert cid not in [i["contact_id"] for i in today["due"] + today["upcoming"]]


async def test_a_replayed_interaction_with_the_same_idempotency_key_is_stored_once(alice, clock):
    cid = await _due_contact(alice, clock)
    body = {"kind": "message", "idempotency_key": "offline-42", "note": "sent from the train"}
    first = await alice.post(f"/api/contacts/{cid}/interactions", json=body)
    second = await alice.post(f"/api/contacts/{cid}/interactions", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["replayed"] is True
    assert first.json()["interaction"]["id"] == second.json()["interaction"]["id"]
    kinds = [i["kind"] for i in (await alice.get(f"/api/contacts/{cid}/interactions")).json()]
    assert kinds.count("message") == 1


async def test_snooze_holds_the_reminder_until_its_date(alice, clock):
    cid = await _due_contact(alice, clock)
    until = (clock() + dt.timedelta(days=10)).date()
    r = await alice.post(f"/api/contacts/{cid}/snooze", json={"until": until.isoformat()})
    assert r.status_code == 200, r.text
    today = (await alice.get("/api/today")).json()
    assert cid not in [i["contact_id"] for i in today["due"] + today["upcoming"]]
    clock.advance(days=10)
    from api.services.strength import refresh_user
    from api.services.users import find_user

    await refresh_user(await find_user("alice@example.com"), clock())
    today = (await alice.get("/api/today")).json()
    assert cid in [i["contact_id"] for i in today["due"]]


async def test_snooze_and_skip_are_events_and_done_logs_a_real_interaction(alice, clock):
    cid = await _due_contact(alice, clock)
    assert (await alice.post(f"/api/contacts/{cid}/snooze", json={"by": "week"})).status_code == 200
    assert (await alice.post(f"/api/contacts/{cid}/skip")).status_code == 200
    assert (await alice.post(f"/api/contacts/{cid}/done", json={})).status_code == 200
    kinds = [i["kind"] for i in (await alice.get(f"/api/contacts/{cid}/interactions")).json()]
    assert {"snooze", "skip", "message"} <= set(kinds), "done logs a message by default"
    bad = await alice.post(f"/api/contacts/{cid}/snooze", json={})
    assert bad.status_code == 400


async def test_strength_has_a_180_day_series_and_an_explanation(alice, clock):
    cid = await _due_contact(alice, clock, days_ago=20)
    r = await alice.get(f"/api/contacts/{cid}/strength")
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["series"]) == 180
    assert 0 <= body["health"] - body["series"][-1] <= 2, "the last point is the end of today"
    ex = body["explanation"]
    assert ex["contributions"] and ex["contributions"][0]["kind"] == "call"
    assert "every month" in ex["half_life_text"]
    assert ex["due_on"] == body["due_on"]


async def test_follow_ups_show_in_today_until_done(alice, clock):
    cid = await _due_contact(alice, clock, days_ago=3)
    due = (clock() + dt.timedelta(days=2)).date().isoformat()
    r = await alice.post(
        f"/api/contacts/{cid}/interactions",
        json={"kind": "coffee", "follow_up": {"what": "send the article", "due_on": due}},
    )
    assert r.status_code == 201, r.text
    follow = (await alice.get("/api/today")).json()["follow_ups"]
    assert [f["what"] for f in follow] == ["send the article"]
    assert (await alice.post(f"/api/follow-ups/{follow[0]['id']}/done")).status_code == 200
    assert (await alice.get("/api/today")).json()["follow_ups"] == []


async def test_logging_with_an_untriaged_contact_puts_it_in_friends(alice):
    cid = (await alice.post("/api/contacts", json={"full_name": "New Person"})).json()["id"]
    r = await alice.post(f"/api/contacts/{cid}/interactions", json={"kind": "message"})
    assert r.json()["contact"]["circle"] == "Friends"


async def test_deleting_an_interaction_rescores_the_contact(alice, clock):
    cid = await _due_contact(alice, clock, days_ago=300)
    r = await alice.post(f"/api/contacts/{cid}/interactions", json={"kind": "coffee"})
    high = r.json()["contact"]["health"]
    r = await alice.delete(f"/api/interactions/{r.json()['interaction']['id']}")
    assert r.status_code == 200 and r.json()["contact"]["health"] < high


async def test_untriaged_contacts_get_no_reminders_until_triaged_then_at_most_one_new_a_day(
    app, alice, clock
):
    from api.services.contacts import create_contact
    from api.services.strength import refresh_user
    from api.services.users import find_user

    user = await find_user("alice@example.com")
    ids = [
        (await create_contact(user.id, "US", {"full_name": f"Imported {i:03}"}, clock())).id
        for i in range(500)
    ]
    await refresh_user(user, clock())
    today = (await alice.get("/api/today")).json()
    assert today["due"] == [] and today["upcoming"] == [] and today["backlog_count"] == 0
    network = await _circle_id(alice, "Network")
    for cid in ids[:60]:
        r = await alice.patch(f"/api/contacts/{cid}", json={"circle_id": network})
        assert r.status_code == 200
    await refresh_user(user, clock())
    from api.db.tables import Reminder

    rows = await Reminder.select(Reminder.day).where(Reminder.state == "planned").run()
    per_day: dict[dt.date, int] = {}
    for r in rows:
        per_day[r["day"]] = per_day.get(r["day"], 0) + 1
    assert rows, "triaged contacts are scheduled"
    assert max(per_day.values()) == 1, "at most one new (cold-start) reminder a day"


async def test_kith_log_and_interaction_validation(alice, clock):
    cid = await _due_contact(alice, clock)
    r = await alice.post(f"/api/contacts/{cid}/interactions", json={"kind": "telepathy"})
    assert r.status_code == 400 and "unknown kind" in r.json()["error"]
    future = (clock() + dt.timedelta(days=5)).isoformat()
    r = await alice.post(f"/api/contacts/{cid}/interactions", json={"kind": "call", "at": future})
    assert r.status_code == 400


async def test_another_users_contact_interactions_are_404(alice, bob, clock):
    cid = await _due_contact(alice, clock)
    assert (
        await bob.post(f"/api/contacts/{cid}/interactions", json={"kind": "call"})
    ).status_code == 404
    assert (await bob.get(f"/api/contacts/{cid}/interactions")).status_code == 404
    assert (await bob.get(f"/api/contacts/{cid}/strength")).status_code == 404
    assert (await bob.post(f"/api/contacts/{cid}/snooze", json={"by": "week"})).status_code == 404
    iid = (await alice.get(f"/api/contacts/{cid}/interactions")).json()[0]["id"]
    assert (await bob.delete(f"/api/interactions/{iid}")).status_code == 404
    _ = make_user
