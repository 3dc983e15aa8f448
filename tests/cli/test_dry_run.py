"""`kith import --dry-run`: parse only, no database, one JSON document (DESIGN.md section 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "tests" / "data" / "csv" / "google-csv-2024-labeled-constructed.csv"
VCF = ROOT / "tests" / "data" / "import" / "iphone-3.0-jane-in-both-exports.vcf"
ICS = ROOT / "tests" / "data" / "ics" / "exchange-2010-reply-multi-attendee.ics"
CONTACT_KEYS = {
    "source_uid",
    "full_name",
    "given_name",
    "family_name",
    "emails",
    "phones",
    "organization",
    "title",
    "birthday",
    "note",
    "groups",
    "urls",
    "connected_on",
}


@pytest.fixture(autouse=True)
def unreachable_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dry run must not touch it: any attempt would fail."""
    monkeypatch.setenv("KITH_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")


def test_dry_run_json_needs_no_database_and_matches_the_contract(
    capsys: pytest.CaptureFixture[str],
):
    argv = ["import", str(CSV), str(VCF), str(ICS), "--dry-run", "--json", "--region", "US"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.endswith("}\n") and out.count("\n") == 1
    doc = json.loads(out)
    assert list(doc) == ["files"]
    assert [f["path"] for f in doc["files"]] == [str(CSV), str(VCF), str(ICS)]
    for f in doc["files"][:2]:
        assert list(f) == ["path", "format", "contacts", "issues"]
        assert all(set(c) == CONTACT_KEYS for c in f["contacts"])
    assert list(doc["files"][2]) == ["path", "format", "interactions", "issues"]
    assert doc["files"][2]["format"] == "ics"


def test_dry_run_without_json_prints_a_line_per_file_and_each_issue(
    capsys: pytest.CaptureFixture[str],
):
    assert main(["import", str(VCF), "--dry-run"]) == 0
    assert capsys.readouterr().out == f"{VCF}: vcard-3.0, 2 records, 0 issues\n"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff" * 100, "binary"),
        (b"just some words\nand more\n", "not a"),
    ],
    ids=["empty", "binary", "wrong-format"],
)
def test_an_unreadable_file_is_one_clear_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, words: str
):
    path = tmp_path / "file.vcf"
    path.write_bytes(content)
    assert main(["import", str(path), "--dry-run", "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"kith: {path}: ") and words in lines[0]


def test_a_missing_file_or_a_folder_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["import", str(tmp_path / "none.vcf"), "--dry-run"]) == 1
    assert capsys.readouterr().err == f"kith: {tmp_path / 'none.vcf'}: no such file\n"
    assert main(["import", str(tmp_path), "--dry-run"]) == 1
    assert capsys.readouterr().err == f"kith: {tmp_path}: is a folder, not a file\n"
