"""One schema answer on both engines: over-long text is a 400 at the API edge (naming the field
and its limit) and a truncation with an issue in an import, never a 500 on PostgreSQL while
SQLite takes it (issue 12). Every test runs on both engines (the `database` fixture)."""

from __future__ import annotations

import pytest

from api.db.tables import Contact, ContactKey, ImportRun, MergeSuggestion

LONG_ORG = "Acme " + "O" * 355  # 360 characters; the column holds 300
LONG_NAME = "N" * 301  # the column holds 300


async def post_file(c, name: str, body: bytes):
    r = await c.post("/api/imports", files={"file": (name, body, "application/octet-stream")})
    assert r.status_code == 201, r.text
    return r.json()


def vcard(*cards: str) -> bytes:
    return "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\n{c}END:VCARD\r\n" for c in cards).encode()


async def test_an_over_long_org_and_name_are_truncated_with_an_issue_on_their_cards(alice):
    body = vcard(
        "FN:Ann Lee\r\nEMAIL:ann@example.com\r\n",
        f"FN:Bo Diaz\r\nORG:{LONG_ORG}\r\nEMAIL:bo@example.com\r\n",
        f"FN:{LONG_NAME}\r\nEMAIL:long@example.com\r\n",
    )
    report = await post_file(alice, "long.vcf", body)
    assert report["status"] == "ok", report["error"]
    assert report["counts"]["new"] == 3
    issues = [(i["line"], i["message"]) for i in report["issues"]]
    assert issues == [
        (6, "organization is longer than 300 characters: cut to 300"),
        (12, "full_name is longer than 300 characters: cut to 300"),
    ]
    rows = await Contact.select(Contact.full_name, Contact.organization).order_by(Contact.id).run()
    assert [len(r["full_name"]) for r in rows] == [7, 7, 300]
    assert rows[1]["organization"] == LONG_ORG[:300]
    again = await post_file(alice, "long.vcf", body)
    assert again["counts"]["new"] == 0 and again["counts"]["unchanged"] == 3
    assert [(i["line"], i["message"]) for i in again["issues"]] == issues


async def test_an_over_long_email_in_an_import_is_dropped_with_an_issue(alice):
    address = "a" * 250 + "@example.com"
    report = await post_file(alice, "mail.vcf", vcard(f"FN:Cy\r\nEMAIL:{address}\r\n"))
    assert report["status"] == "ok", report["error"]
    assert report["counts"]["new"] == 1
    assert [i["message"] for i in report["issues"]] == [
        "an email address is longer than 254 characters: dropped"
    ]


async def test_long_uids_and_profile_urls_still_match_on_re_import(alice):
    uid = "urn:uuid:" + "u" * 1000
    url = "https://example.com/in/" + "p" * 1000
    body = vcard(f"UID:{uid}\r\nFN:Dee\r\n", f"FN:Eve\r\nURL:{url}\r\n")
    first = await post_file(alice, "uids.vcf", body)
    assert first["status"] == "ok", first["error"]
    assert first["counts"]["new"] == 2
    again = await post_file(alice, "uids.vcf", body)
    assert again["counts"]["unchanged"] == 2 and again["counts"]["new"] == 0
    keys = await ContactKey.select(ContactKey.value).run()
    assert max(len(k["value"]) for k in keys) <= 400


async def test_a_long_upload_file_name_fits_and_keeps_its_own_namespace(alice):
    name = "export-" + "x" * 600 + ".vcf"
    other = "export-" + "x" * 600 + "-2.vcf"
    body = vcard("FN:Fay\r\nEMAIL:fay@example.com\r\n")
    report = await post_file(alice, name, body)
    assert report["status"] == "ok", report["error"]
    assert report["filename"] == name[:499] + "\u2026", "shown cut to its column, marked"
    sources = {r["source"] for r in await Contact.select(Contact.source).run()}
    assert all(len(s) <= 200 for s in sources)
    # Another long name sharing the prefix is another file: it archives nothing of the first.
    second = await post_file(alice, other, vcard("FN:Gil\r\nEMAIL:gil@example.com\r\n"))
    assert second["counts"]["new"] == 1 and second["counts"]["archived"] == 0
    assert (await ImportRun.count().run()) == 2


async def test_similar_long_names_become_a_merge_suggestion_without_a_500(alice):
    name = "Zed " + "Q" * 290
    body = vcard(f"FN:{name}\r\nEMAIL:z1@example.com\r\n", f"FN:{name}\r\nEMAIL:z2@example.com\r\n")
    report = await post_file(alice, "twins.vcf", body)
    assert report["status"] == "ok", report["error"]
    assert await MergeSuggestion.count().run() >= 1
    r = await alice.get("/api/merge-suggestions")
    assert r.status_code == 200 and len(r.json()) >= 1


async def test_a_calendar_attendee_with_a_long_name_is_kept_cut(alice):
    cn = "Pat " + "P" * 400
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:m{n}@example.com\r\nDTSTAMP:20261101T090000Z\r\n"
        f"DTSTART:2026111{n}T090000Z\r\nDTEND:2026111{n}T093000Z\r\nSUMMARY:Sync\r\n"
        "ORGANIZER;CN=Alice:mailto:alice@example.com\r\n"
        f'ATTENDEE;CN="{cn}";PARTSTAT=ACCEPTED:mailto:pat@elsewhere.org\r\n'
        "END:VEVENT\r\n"
        for n in (1, 2)
    )
    body = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{events}END:VCALENDAR\r\n"
    report = await post_file(alice, "cal.ics", body.encode())
    assert report["status"] == "ok", report["error"]
    offered = (await alice.get("/api/people-you-meet")).json()
    assert [len(p["name"]) for p in offered] == [300]
    r = await alice.post(f"/api/people-you-meet/{offered[0]['id']}/add")
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("full_name", 300),
        ("given_name", 200),
        ("family_name", 200),
        ("nickname", 200),
        ("organization", 300),
        ("title", 300),
    ],
)
async def test_an_over_long_contact_field_is_a_400_naming_the_field_and_its_limit(
    alice, field, limit
):
    body = {"full_name": "Ann", field: "y" * (limit + 1)}
    r = await alice.post("/api/contacts", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"] and str(limit) in r.json()["error"]
    cid = (await alice.post("/api/contacts", json={"full_name": "Ann"})).json()["id"]
    r = await alice.patch(f"/api/contacts/{cid}", json={field: "y" * (limit + 1)})
    assert r.status_code == 400 and field in r.json()["error"], r.text
    r = await alice.patch(f"/api/contacts/{cid}", json={field: "y" * limit})
    assert r.status_code == 200, r.text


async def test_the_301_character_name_is_a_400_on_both_engines(alice):
    r = await alice.post("/api/contacts", json={"full_name": LONG_NAME})
    assert r.status_code == 400
    assert r.json()["error"] == ("invalid request: full_name: Expected `str` of length <= 300")
    assert await Contact.count().run() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"full_name": "Ann", "emails": ["a" * 250 + "@example.com"]}, "emails"),
        ({"full_name": "Ann", "phones": ["1" * 101]}, "phones"),
    ],
)
async def test_over_long_emails_and_phones_are_a_400(alice, body, field):
    r = await alice.post("/api/contacts", json=body)
    assert r.status_code == 400 and field in r.json()["error"], r.text


async def test_circles_sources_and_settings_refuse_over_long_text(alice):
    circle = (await alice.get("/api/circles")).json()[0]["id"]
    r = await alice.patch(f"/api/circles/{circle}", json={"name": "c" * 101})
    assert r.status_code == 400 and "name" in r.json()["error"] and "100" in r.json()["error"]
    r = await alice.patch(f"/api/circles/{circle}", json={"name": "c" * 100})
    assert r.status_code == 200, r.text
    source = {"kind": "url", "location": "https://example.com/x.vcf", "label": "l" * 201}
    r = await alice.post("/api/sources", json=source)
    assert r.status_code == 400 and "label" in r.json()["error"] and "200" in r.json()["error"]
    r = await alice.patch("/api/settings", json={"timezone": "Z" * 65})
    assert r.status_code == 400 and "timezone" in r.json()["error"], r.text
    r = await alice.post(
        f"/api/contacts/{(await alice.post('/api/contacts', json={'full_name': 'A'})).json()['id']}"
        "/interactions",
        json={"kind": "call", "idempotency_key": "k" * 201},
    )
    assert r.status_code == 400 and "idempotency_key" in r.json()["error"], r.text
