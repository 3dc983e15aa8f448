"""Importing into the database: idempotent, merges people across exports, archives, atomic."""

from __future__ import annotations

from pathlib import Path

from api.db.tables import ImportRun, Interaction
from tests.conftest import book_rows

DATA = Path(__file__).resolve().parents[1] / "data"
JANE_CSV = DATA / "import" / "google-2024-jane-in-both-exports.csv"
JANE_VCF = DATA / "import" / "iphone-3.0-jane-in-both-exports.vcf"
NEWER_VCF = DATA / "import" / "iphone-3.0-newer-export-ann-removed-jane-promoted.vcf"
LINKEDIN = DATA / "csv" / "linkedin-connections-2024-notes-preamble.csv"


async def upload(c, path: Path, name: str | None = None, fmt: str = "auto"):
    files = {"file": (name or path.name, path.read_bytes(), "application/octet-stream")}
    r = await c.post("/api/imports", files=files, data={"format": fmt})
    assert r.status_code == 201, r.text
    return r.json()


async def test_the_same_file_twice_gives_nothing_new_and_nothing_updated(alice):
    first = await upload(alice, JANE_VCF)
    assert first["status"] == "ok" and first["counts"]["new"] == 2
    before = await book_rows()
    second = await upload(alice, JANE_VCF)
    assert second["counts"]["new"] == 0 and second["counts"]["updated"] == 0
    assert second["counts"]["unchanged"] == 2
    assert await book_rows() == before


async def test_a_person_in_a_google_csv_and_an_iphone_vcard_ends_as_one_contact(alice):
    await upload(alice, JANE_CSV)
    report = await upload(alice, JANE_VCF)
    assert report["counts"]["new"] == 1, "only Ann is new; Jane matched by email"
    found = (await alice.get("/api/contacts", params={"q": "Jane"})).json()
    assert found["total"] == 1
    jane = found["items"][0]
    assert jane["emails"] == ["jane.doe@example.com"]
    assert jane["phones"] == ["+14155550101"]
    assert jane["groups"] == ["Friends"]


async def test_an_edited_field_survives_a_newer_export_and_other_fields_update(alice):
    await upload(alice, JANE_VCF, name="contacts.vcf")
    jane = (await alice.get("/api/contacts", params={"q": "Jane"})).json()["items"][0]
    await alice.patch(f"/api/contacts/{jane['id']}", json={"full_name": "Jane 'JD' Doe"})
    report = await upload(alice, NEWER_VCF, name="contacts.vcf")
    assert report["counts"]["updated"] == 1
    jane = (await alice.get(f"/api/contacts/{jane['id']}")).json()
    assert jane["full_name"] == "Jane 'JD' Doe", "the user's edit wins"
    assert jane["title"] == "VP Engineering", "an unedited field follows the newer export"


async def test_a_card_removed_from_a_full_re_export_is_archived_not_deleted(alice):
    await upload(alice, JANE_VCF, name="contacts.vcf")
    report = await upload(alice, NEWER_VCF, name="contacts.vcf")
    assert report["counts"]["archived"] == 1
    active = [c["full_name"] for c in (await alice.get("/api/contacts")).json()["items"]]
    assert active == ["Jane Doe"]
    archived = (await alice.get("/api/contacts", params={"archived": True})).json()["items"]
    assert [c["full_name"] for c in archived] == ["Ann Lee"]


async def test_a_failure_injected_mid_file_leaves_the_database_exactly_as_before(alice):
    from api.services.imports import import_file
    from api.services.users import find_user

    await upload(alice, JANE_CSV)
    before = await book_rows()
    user = await find_user("alice@example.com")
    import datetime as dt

    report = await import_file(
        user,
        LINKEDIN.read_bytes(),
        filename=LINKEDIN.name,
        now=dt.datetime.now(dt.UTC),
        fail_after_rows=1,
    )
    assert report.status == "failed"
    assert "nothing was changed" in (report.error or "")
    assert await book_rows() == before
    runs = await ImportRun.select(ImportRun.status).order_by(ImportRun.id).run()
    assert [r["status"] for r in runs] == ["ok", "failed"]


async def test_linkedin_connected_on_becomes_one_past_interaction_even_after_re_import(alice):
    report = await upload(alice, LINKEDIN)
    assert report["counts"]["interactions"] == report["counts"]["new"] > 0
    again = await upload(alice, LINKEDIN)
    assert again["counts"]["interactions"] == 0
    kinds = await Interaction.select(Interaction.kind).run()
    assert {k["kind"] for k in kinds} == {"connected"}
    assert len(kinds) == report["counts"]["new"]


async def test_a_broken_card_is_reported_with_its_line_and_the_rest_imports(alice):
    report = await upload(alice, DATA / "import" / "malformed-nested-vcard-good-cards-kept.vcf")
    assert report["status"] == "ok"
    assert report["counts"]["new"] >= 1
    assert report["issues"] and all(i["line"] >= 1 for i in report["issues"])
    listed = (await alice.get(f"/api/imports/{report['id']}")).json()
    assert listed["issues"] == report["issues"]
    assert [r["id"] for r in (await alice.get("/api/imports")).json()] == [report["id"]]


async def test_an_unreadable_file_fails_clearly_and_changes_nothing(alice):
    files = {"file": ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")}
    r = await alice.post("/api/imports", files=files)
    assert r.status_code == 201
    assert r.json()["status"] == "failed"
    assert "binary" in r.json()["error"] or "not a vCard" in r.json()["error"]
    assert (await alice.get("/api/contacts")).json()["total"] == 0


async def test_an_upload_over_the_size_limit_gets_413_with_a_clear_message(app, alice):
    big = b"BEGIN:VCARD\r\n" + b"X" * (app.state.settings.max_upload_bytes + 10)
    r = await alice.post("/api/imports", files={"file": ("big.vcf", big, "text/vcard")})
    assert r.status_code == 413
    assert "limit" in r.json()["error"]


async def test_another_users_imports_are_404(alice, bob):
    report = await upload(alice, JANE_VCF)
    assert (await bob.get(f"/api/imports/{report['id']}")).status_code == 404
    assert (await bob.get("/api/imports")).json() == []


async def test_vcard_photos_become_small_thumbnails_and_a_bad_photo_is_only_an_issue(alice):
    report = await upload(alice, DATA / "vcard" / "apple-ios5-iphone-3.0-photo.vcf")
    assert report["status"] == "ok"
    person = (await alice.get("/api/contacts")).json()["items"][0]
    assert person["has_photo"] is True
    r = await alice.get(f"/api/contacts/{person['id']}/photo")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(r.content)) as img:
        assert max(img.size) <= 128
    broken = await upload(alice, DATA / "vcard" / "blackberry-2.1-truncated-photo-empty-note.vcf")
    assert broken["status"] == "ok" and broken["counts"]["new"] >= 1
