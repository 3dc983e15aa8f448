"""The real-world vCard corpus: every file's expected facts (corpus-facts.json) hold."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from pipeline.formats.vcard.parse import parse_vcards
from pipeline.models import ContactRecord, ParseResult, UnreadableFile

DATA = Path(__file__).parent.parent / "data" / "vcard"
FACTS: dict[str, dict[str, Any]] = json.loads((DATA / "corpus-facts.json").read_text("utf-8"))[
    "files"
]


def _norm(text: object) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(text or ""))).strip()


def _digits(text: object) -> str:
    return re.sub(r"\D", "", str(text or ""))


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _failed_facts(expected: dict[str, Any], contact: ContactRecord) -> list[str]:
    """The facts of one expected contact that this record does not satisfy (check-import rules)."""
    failed = []
    name = _norm(contact.full_name)
    if "full_name" in expected and name not in [_norm(n) for n in _as_list(expected["full_name"])]:
        failed.append(f"full_name {expected['full_name']!r}, got {name!r}")
    for part in _as_list(expected.get("full_name_contains", [])):
        if _norm(part).casefold() not in name.casefold():
            failed.append(f"full_name contains {part!r}, got {name!r}")
    emails = {e.casefold() for e in contact.emails}
    failed += [f"email {e}" for e in expected.get("emails", []) if e.casefold() not in emails]
    failed += [f"no email {e}" for e in expected.get("not_emails", []) if e.casefold() in emails]
    phones = [_digits(p) for p in contact.phones]
    for phone in expected.get("phones", []):
        if not any(p.endswith(_digits(phone)) for p in phones if p):
            failed.append(f"phone {phone}, got {contact.phones}")
    if "birthday" in expected and contact.birthday != expected["birthday"]:
        failed.append(f"birthday {expected['birthday']}, got {contact.birthday!r}")
    if "organization" in expected:
        org = _norm(contact.organization).casefold()
        if not org or _norm(expected["organization"]).casefold() not in org:
            failed.append(f"organization {expected['organization']!r}, got {org!r}")
    return failed


def _parse(name: str) -> ParseResult | None:
    try:
        return parse_vcards((DATA / name).read_bytes(), region="US")
    except UnreadableFile:
        return None


def test_every_corpus_vcard_has_its_facts_and_its_fixture() -> None:
    assert sorted(FACTS) == sorted(p.name for p in DATA.glob("*.vcf") if p.name in FACTS)
    assert len(FACTS) == 45


@pytest.mark.parametrize("name", sorted(FACTS))
def test_corpus_file_yields_the_expected_contacts_and_issues(name: str) -> None:
    facts = FACTS[name]
    result = _parse(name)
    if result is None:
        assert facts.get("may_exit_1"), f"{name}: UnreadableFile, but the file must be read"
        return
    assert result.format.startswith("vcard-")
    assert result.format in {"vcard-2.1", "vcard-3.0", "vcard-4.0"}
    count = facts["count"]
    low, high = (count, count) if isinstance(count, int) else count
    assert low <= len(result.contacts) <= high, [c.full_name for c in result.contacts]
    assert len(result.issues) >= facts.get("min_issues", 0), result.issues
    if not result.contacts:
        return
    for expected in facts.get("contacts", []):
        # The best-matching record must satisfy every fact (records are few per file).
        failures = min((_failed_facts(expected, contact) for contact in result.contacts), key=len)
        assert not failures, f"{name}: {expected} -> {failures}"


@pytest.mark.parametrize("name", sorted(FACTS))
def test_corpus_file_records_point_at_their_begin_line_and_issues_at_real_lines(name: str) -> None:
    raw = (DATA / name).read_bytes()
    result = _parse(name)
    if result is None:
        return
    lines = raw.replace(b"\r\r\n", b"\n").replace(b"\r\n", b"\n").split(b"\n")
    for contact in result.contacts:
        first = lines[contact.line - 1].strip().upper()
        assert first == b"BEGIN:VCARD" or b":" in first, (contact.line, first)
    for issue in result.issues:
        assert 1 <= issue.line <= len(lines), issue
    assert [i.line for i in result.issues] == sorted(i.line for i in result.issues)
