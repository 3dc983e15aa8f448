"""Every database command of `kith`, run in-process as a user types it, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import Kith

ROOT = Path(__file__).resolve().parents[2]
VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"
ICS = ROOT / "tests" / "data" / "ics" / "exchange-2010-reply-multi-attendee.ics"


def test_migrate_applies_every_migration_once_and_then_has_nothing_left_to_do(kith: Kith):
    first = kith("migrate").out
    assert "database is current" in first and ": 0 applied" not in first
    assert ": 0 applied, database is current" in kith("migrate").out


def test_user_add_creates_an_account_in_the_default_region_of_the_settings(
    kith: Kith, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("KITH_DEFAULT_REGION", "gb")
    out = kith("user", "add", "Me@Example.com", "--timezone", "Europe/London").out
    assert out == (
        "created account me@example.com (time zone Europe/London); "
        "sign in at http://127.0.0.1:8765\n"
    )
    kith("user", "add", "other@example.com", "--region", "DE")
    me = json.loads(kith("export", "--user", "me@example.com").out)["user"]
    other = json.loads(kith("export", "--user", "other@example.com").out)["user"]
    assert (me["region"], other["region"]) == ("GB", "DE")


def test_a_second_account_with_the_same_email_is_one_line_and_exit_1(kith: Kith):
    kith("user", "add", "me@example.com")
    done = kith("user", "add", "ME@example.com", code=1)
    assert done.err == "kith: an account for me@example.com already exists\n"


def test_setup_link_is_stable_until_an_account_exists_then_one_line_and_exit_1(kith: Kith):
    link = kith("setup-link").out.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:8765/#/setup\?code=[A-Za-z0-9_-]{43,}", link)
    assert kith("setup-link").out.strip() == link, "the code survives a restart"
    kith("user", "add", "me@example.com")
    done = kith("setup-link", code=1)
    assert done.err == (
        "kith: an account already exists: sign in at http://127.0.0.1:8765; "
        "more accounts come from `kith user add EMAIL`\n"
    )


def test_import_prints_the_counts_and_a_second_run_changes_nothing(kith: Kith):
    kith("user", "add", "me@example.com")
    first = kith("import", str(VCF), "--user", "me@example.com").out
    assert first.startswith(f"{VCF.name}: vcard-3.0: 2 new, 0 updated, 0 unchanged, ")
    again = kith("import", str(VCF), "--user", "me@example.com").out
    assert "0 new, 0 updated, 2 unchanged" in again


def test_import_json_reports_each_run_with_its_counts(kith: Kith):
    kith("user", "add", "me@example.com")
    doc = json.loads(kith("import", str(VCF), str(ICS), "--user", "me@example.com", "--json").out)
    runs = doc["imports"]
    assert [r["filename"] for r in runs] == [VCF.name, ICS.name]
    assert runs[0]["status"] == "ok" and runs[0]["counts"]["new"] == 2
    assert runs[1]["format"] == "ics"


def test_import_without_an_account_says_how_to_create_it(kith: Kith):
    done = kith("import", str(VCF), code=1)
    assert done.err == "kith: say which account with --user EMAIL\n"


def test_log_finds_the_contact_by_email_by_name_or_by_a_unique_part_of_the_name(kith: Kith):
    kith("user", "add", "me@example.com")
    kith("import", str(VCF), "--user", "me@example.com")
    base = ("log", "--user", "me@example.com", "--kind")
    assert kith(*base, "coffee", "--contact", "JANE.DOE@example.com").out == (
        "logged coffee with Jane Doe\n"
    )
    assert kith(*base, "call", "--contact", "ann lee", "--on", "2026-01-05").out == (
        "logged call with Ann Lee\n"
    )
    assert kith(*base, "message", "--contact", "Jan").out == "logged message with Jane Doe\n"
    doc = json.loads(kith("export", "--user", "me@example.com").out)
    kinds = sorted(i["kind"] for i in doc["interactions"])
    assert kinds == ["call", "coffee", "message"]


def test_log_with_no_matching_or_several_matching_contacts_is_one_line(kith: Kith):
    kith("user", "add", "me@example.com")
    kith("import", str(VCF), "--user", "me@example.com")
    base = ("log", "--user", "me@example.com", "--kind", "coffee", "--contact")
    assert kith(*base, "Zed", code=1).err == "kith: no contact matches 'Zed'\n"
    assert kith(*base, "e", code=1).err == (
        "kith: 'e' matches 2 contacts (Ann Lee, Jane Doe); use the email\n"
    )
    done = kith(*base, "Ann Lee", "--on", "05/01/2026", code=1)
    assert done.err == "kith: --on must be YYYY-MM-DD, not '05/01/2026'\n"


def test_nightly_without_user_runs_every_account_on_the_day_given(kith: Kith):
    kith("user", "add", "a@example.com")
    kith("user", "add", "b@example.com")
    kith("import", str(VCF), "--user", "b@example.com")
    long_ago = (dt.date(2026, 6, 1) - dt.timedelta(days=200)).isoformat()
    base = ("log", "--user", "b@example.com", "--kind", "coffee", "--on", long_ago)
    kith(*base, "--contact", "Jane Doe")
    lines = kith("nightly", "--today", "2026-06-01").out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["a@example.com", "b@example.com"]
    assert all(": ok: 0 sources, " in line for line in lines)
    assert "0 reminders placed" not in lines[1]
    again = kith("nightly", "--user", "b@example.com", "--today", "2026-06-01").out
    assert again == lines[1] + "\n", "idempotent"


def test_nightly_with_a_day_that_is_not_a_date_is_one_line(kith: Kith):
    done = kith("nightly", "--today", "tomorrow", code=1)
    assert done.err == "kith: --today must be YYYY-MM-DD, not 'tomorrow'\n"


def test_feed_url_is_stable_until_rotated(kith: Kith):
    kith("user", "add", "me@example.com")
    url = kith("feed-url", "--user", "me@example.com").out.strip()
    assert url.startswith("http://127.0.0.1:8765/") and url.endswith("/kith.ics")
    assert kith("feed-url", "--user", "me@example.com").out.strip() == url
    rotated = kith("feed-url", "--user", "me@example.com", "--rotate").out.strip()
    assert rotated != url and rotated.endswith("/kith.ics")


def test_export_restore_round_trips_an_account_exactly_into_a_new_database(
    kith: Kith, tmp_path: Path
):
    kith("user", "add", "me@example.com")
    kith("import", str(VCF), "--user", "me@example.com")
    note = "=cmd|' /C calc'!A0"
    kith(
        "log", "--user", "me@example.com", "--contact", "Ann Lee", "--kind", "call", "--note", note
    )
    exported = kith("export", "--user", "me@example.com", "--format", "json").out
    assert "Jane Doe" in kith("export", "--user", "me@example.com", "--format", "csv").out
    vcf = kith("export", "--user", "me@example.com", "--format", "vcard").out
    assert vcf.count("BEGIN:VCARD") == 2
    dump_file = tmp_path / "export.json"
    dump_file.write_text(exported)
    done = kith("restore", str(dump_file), code=1)
    assert done.err == (
        "kith: an account for me@example.com exists; use --replace to overwrite it\n"
    )
    kith("restore", str(dump_file), "--replace")
    kith.use_new_database()
    assert kith("restore", str(dump_file)).out == f"restored me@example.com from {dump_file}\n"
    assert json.loads(kith("export", "--user", "me@example.com").out) == json.loads(exported)


def test_restore_of_a_file_that_is_not_an_export_is_one_line(kith: Kith, tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "not JSON" in kith("restore", str(broken), code=1).err
    partial = tmp_path / "partial.json"
    partial.write_text('{"kith_export": 1}')
    done = kith("restore", str(partial), code=1)
    assert done.err.startswith(f"kith: {partial}: not a complete Kith export")


def test_backup_copies_the_sqlite_database_and_refuses_to_overwrite(kith: Kith, tmp_path: Path):
    kith("user", "add", "me@example.com")
    target = tmp_path / "copy.sqlite3"
    if kith.engine == "postgres":
        assert "pg_dump" in kith("backup", str(target), code=1).err
        return
    assert kith("backup", str(target)).out.endswith(f" to {target}\n")
    assert target.stat().st_size > 0
    assert kith("backup", str(target), code=1).err == (
        f"kith: {target} exists; choose a new file name\n"
    )


def test_demo_creates_one_account_with_a_network_and_refuses_a_second(kith: Kith):
    out = kith("demo", "--email", "demo@example.com").out.splitlines()
    assert out == [
        "demo account demo@example.com with password correct-horse-battery",
        "sign in at http://127.0.0.1:8765",
    ]
    doc = json.loads(kith("export", "--user", "demo@example.com").out)
    assert len(doc["contacts"]) > 100 and doc["interactions"]
    done = kith("demo", "--email", "demo@example.com", code=1)
    assert done.err == "kith: demo@example.com exists already; sign in with its password\n"


def test_feed_url_after_a_secret_key_change_says_to_rotate_in_one_line(kith: Kith):
    kith("user", "add", "me@example.com")
    url = kith("feed-url", "--user", "me@example.com").out.strip()
    kith.monkeypatch.setenv("KITH_SECRET_KEY", "a-different-secret-key")
    failed = kith("feed-url", "--user", "me@example.com", code=1)
    assert failed.out == "" and failed.err.count("\n") == 1
    assert "secret key changed" in failed.err and "--rotate" in failed.err
    rotated = kith("feed-url", "--user", "me@example.com", "--rotate").out.strip()
    assert rotated != url and rotated.endswith("/kith.ics")
    assert kith("feed-url", "--user", "me@example.com").out.strip() == rotated


def _ids(export: str) -> dict[str, list[int]]:
    doc = json.loads(export)
    return {name: [row["id"] for row in doc[name]] for name in ("contacts", "interactions")}


def test_restore_keeps_ids_interactions_and_the_feed_url_and_new_rows_still_get_ids(
    kith: Kith, tmp_path: Path
):
    kith("user", "add", "me@example.com")
    kith("import", str(VCF), "--user", "me@example.com")
    kith("log", "--user", "me@example.com", "--contact", "Ann Lee", "--kind", "call")
    url = kith("feed-url", "--user", "me@example.com").out.strip()
    exported = kith("export", "--user", "me@example.com").out
    (tmp_path / "me.json").write_text(exported)
    before = _ids(exported)
    assert before["interactions"], "the export holds the logged call"
    # Over the same account in the same database (its ids were freed by the delete) ...
    kith("restore", str(tmp_path / "me.json"), "--replace")
    assert _ids(kith("export", "--user", "me@example.com").out) == before
    assert kith("feed-url", "--user", "me@example.com").out.strip() == url
    # ... and into a new database (the same secret key: the same data folder).
    kith.use_new_database()
    kith("restore", str(tmp_path / "me.json"))
    again = kith("export", "--user", "me@example.com").out
    assert _ids(again) == before
    assert json.loads(again)["interactions"] == json.loads(exported)["interactions"]
    assert kith("feed-url", "--user", "me@example.com").out.strip() == url
    # The id sequences moved past the restored ids: new rows do not collide with them.
    kith("log", "--user", "me@example.com", "--contact", "Jane Doe", "--kind", "coffee")
    kith("user", "add", "other@example.com")
    after = _ids(kith("export", "--user", "me@example.com").out)
    assert len(after["interactions"]) == len(before["interactions"]) + 1


def test_restore_into_a_database_where_the_ids_are_taken_says_so_or_renumbers_on_request(
    kith: Kith, tmp_path: Path
):
    kith("user", "add", "me@example.com")
    kith("import", str(VCF), "--user", "me@example.com")
    (tmp_path / "me.json").write_text(kith("export", "--user", "me@example.com").out)
    kith.use_new_database()
    kith("user", "add", "first@example.com")  # takes the ids the export's circles had
    refused = kith("restore", str(tmp_path / "me.json"), code=1)
    assert "ids" in refused.err and "--new-ids" in refused.err
    assert refused.err.count("\n") == 1
    kith("restore", str(tmp_path / "me.json"), "--new-ids")
    names = [
        c["full_name"]
        for c in json.loads(kith("export", "--user", "me@example.com").out)["contacts"]
    ]
    assert sorted(names) == ["Ann Lee", "Jane Doe"]
