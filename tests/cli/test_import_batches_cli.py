"""`kith import FILE` reads a large vCard export in chunks and imports it a batch at a time;
what it prints is what one plan of the whole file says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import imports as cli_imports
from api.services import imports
from tests.cli.conftest import Kith


def _card(i: int, email: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pat Doe{i}\r\nN:Doe{i};Pat;;;\r\n"
        f"EMAIL:{email}\r\nEND:VCARD\r\n"
    )


def _report(kith: Kith, path: Path, user: str) -> dict[str, object]:
    kith("user", "add", user)
    doc = json.loads(kith("import", str(path), "--user", user, "--json").out)
    run: dict[str, object] = doc["imports"][0]
    return run


def test_a_file_of_several_batches_imports_as_one_plan_of_it_would(
    kith: Kith, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "contacts.vcf"
    # Card 9 is card 1 again (same email), two batches later: the same person, not a new one.
    cards = [_card(i, f"p{i}@example.com") for i in range(9)] + [_card(1, "p1@example.com")]
    path.write_text("".join(cards))
    whole = _report(kith, path, "whole@example.com")
    monkeypatch.setattr(imports, "BATCH_CARDS", 3)
    monkeypatch.setattr(cli_imports, "CHUNK_BYTES", 50)  # cards cut across many reads
    batched = _report(kith, path, "batched@example.com")
    assert batched["status"] == whole["status"] == "ok"
    assert batched["counts"] == whole["counts"]
    assert batched["counts"]["new"] == 9  # type: ignore[index]
    assert batched["issues"] == whole["issues"]
    assert batched["issues"] == [
        {"file": str(path), "line": 55, "message": "same person as line 7: merged into one contact"}
    ]
    assert batched["format"] == "vcard-3.0"


def test_a_missing_file_is_one_line_before_anything_is_imported(kith: Kith, tmp_path: Path):
    kith("user", "add", "me@example.com")
    done = kith("import", str(tmp_path / "nope.vcf"), "--user", "me@example.com", code=1)
    assert done.err == f"kith: {tmp_path / 'nope.vcf'}: no such file\n"
