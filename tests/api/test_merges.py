"""Similar names become merge suggestions; a merge is on the user's word and can be undone."""

from __future__ import annotations


async def _pair(c) -> tuple[int, int]:
    a = (
        await c.post("/api/contacts", json={"full_name": "Jürgen Müller", "emails": ["jm@a.de"]})
    ).json()["id"]
    b = (
        await c.post(
            "/api/contacts", json={"full_name": "Muller, Jurgen", "phones": ["+4930123456"]}
        )
    ).json()["id"]
    await c.post("/api/contacts", json={"full_name": "Someone Else"})
    from api.services.merges import refresh_suggestions
    from api.services.users import find_user

    user = await find_user("alice@example.com")
    import datetime as dt

    await refresh_suggestions(user.id, dt.datetime.now(dt.UTC))
    return a, b


async def test_similar_names_are_suggested_never_merged_automatically(alice):
    a, b = await _pair(alice)
    suggestions = (await alice.get("/api/merge-suggestions")).json()
    assert len(suggestions) == 1
    assert {suggestions[0]["a"]["id"], suggestions[0]["b"]["id"]} == {a, b}
    assert (await alice.get("/api/contacts")).json()["total"] == 3


async def test_merging_unions_emails_phones_and_interactions_and_undo_restores_both(alice):
    a, b = await _pair(alice)
    await alice.post(f"/api/contacts/{b}/interactions", json={"kind": "call"})
    sid = (await alice.get("/api/merge-suggestions")).json()[0]["id"]
    r = await alice.post(f"/api/merge-suggestions/{sid}/merge", json={"keep_id": a})
    assert r.status_code == 200, r.text
    merged = r.json()["contact"]
    assert merged["emails"] == ["jm@a.de"] and merged["phones"] == ["+4930123456"]
    assert [i["kind"] for i in (await alice.get(f"/api/contacts/{a}/interactions")).json()] == [
        "call"
    ]
    assert (await alice.get(f"/api/contacts/{b}")).json()["archived"] is True
    assert (await alice.get("/api/merge-suggestions")).json() == []
    undo = await alice.post(f"/api/merges/{r.json()['undo_id']}/undo")
    assert undo.status_code == 200, undo.text
    a_after = (await alice.get(f"/api/contacts/{a}")).json()
    b_after = (await alice.get(f"/api/contacts/{b}")).json()
    assert a_after["phones"] == [] and b_after["phones"] == ["+4930123456"]
    assert b_after["archived"] is False
    assert [i["kind"] for i in (await alice.get(f"/api/contacts/{b}/interactions")).json()] == [
        "call"
    ]
    assert (await alice.get(f"/api/contacts/{a}/interactions")).json() == []


async def test_a_dismissed_suggestion_does_not_come_back(alice):
    await _pair(alice)
    sid = (await alice.get("/api/merge-suggestions")).json()[0]["id"]
    assert (await alice.post(f"/api/merge-suggestions/{sid}/dismiss")).status_code == 200
    import datetime as dt

    from api.services.merges import refresh_suggestions
    from api.services.users import find_user

    user = await find_user("alice@example.com")
    assert await refresh_suggestions(user.id, dt.datetime.now(dt.UTC)) == 0
    assert (await alice.get("/api/merge-suggestions")).json() == []


async def test_keep_id_must_be_one_of_the_pair(alice):
    await _pair(alice)
    sid = (await alice.get("/api/merge-suggestions")).json()[0]["id"]
    r = await alice.post(f"/api/merge-suggestions/{sid}/merge", json={"keep_id": 999})
    assert r.status_code == 400


async def test_undoing_a_merge_after_later_edits_refuses_and_names_them_until_confirmed(alice):
    a, b = await _pair(alice)
    sid = (await alice.get("/api/merge-suggestions")).json()[0]["id"]
    undo_id = (await alice.post(f"/api/merge-suggestions/{sid}/merge", json={"keep_id": a})).json()[
        "undo_id"
    ]
    edit = {"note": "Met at the Berlin fair", "title": "CTO"}
    assert (await alice.patch(f"/api/contacts/{a}", json=edit)).status_code == 200
    refused = await alice.post(f"/api/merges/{undo_id}/undo")
    assert refused.status_code == 409
    message = refused.json()["error"]
    assert "Jürgen Müller" in message and "note" in message and "title" in message
    # Nothing was undone.
    assert (await alice.get(f"/api/contacts/{b}")).json()["archived"] is True
    assert (await alice.get(f"/api/contacts/{a}")).json()["note"] == "Met at the Berlin fair"
    done = await alice.post(f"/api/merges/{undo_id}/undo", json={"discard_edits": True})
    assert done.status_code == 200, done.text
    assert done.json() == {"ok": True, "discarded": ["Jürgen Müller: title, note"]}
    restored = (await alice.get(f"/api/contacts/{a}")).json()
    assert restored["note"] is None and restored["title"] is None
    assert (await alice.get(f"/api/contacts/{b}")).json()["archived"] is False


async def test_undoing_a_merge_with_no_later_edits_needs_no_confirmation(alice):
    a, _ = await _pair(alice)
    sid = (await alice.get("/api/merge-suggestions")).json()[0]["id"]
    undo_id = (await alice.post(f"/api/merge-suggestions/{sid}/merge", json={"keep_id": a})).json()[
        "undo_id"
    ]
    # An interaction logged since is not an edit: it stays with whoever it was logged for.
    await alice.post(f"/api/contacts/{a}/interactions", json={"kind": "call"})
    done = await alice.post(f"/api/merges/{undo_id}/undo", json={})
    assert done.status_code == 200 and done.json() == {"ok": True, "discarded": []}
