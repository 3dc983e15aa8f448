"""The real-world CSV exports in tests/data/csv give the facts PROVENANCE.md / expected.json list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.formats.csv.parse import parse_csv
from pipeline.formats.dispatch import parse_export
from pipeline.models import ContactRecord, ParseResult

DATA = Path(__file__).resolve().parent.parent / "data" / "csv"

# file -> (format, contact count, facts per contact keyed by its full name)
CORPUS: dict[str, tuple[str, int, dict[str, dict[str, object]]]] = {
    "generic-csv-utf8-bom-all-fields.csv": (
        "outlook-csv",
        1,
        {
            "Display Name": {
                "emails": ["home@example.com", "work@example.com", "other@example.com"],
                "phones": [
                    *("100", "200", "300", "400", "500", "600", "700", "800", "900"),
                    *("111", "222", "333", "444"),
                ],
                "organization": "Company",
                "title": "Job Title",
                "birthday": "1991-01-20",
                "groups": ["test"],
                "urls": [
                    *("https://blog", "https://home", "https://other"),
                    *("https://profile", "https://work"),
                ],
            }
        },
    ),
    "google-csv-2024-labeled-constructed.csv": (
        "google-csv",
        5,
        {
            "Grace Hopper": {
                "emails": ["grace.hopper@example.com", "grace@example.org"],
                "phones": ["+1 555 0100", "+1 555 0101", "+1 555 0102"],
                "organization": "Example Navy Lab",
                "title": "Rear Admiral",
                "birthday": "1906-12-09",
                "nickname": "Amazing Grace",
                "groups": ["Work"],
                "urls": ["https://example.com/grace"],
                "note": "Met at the 1985 conference.\nFollow up about COBOL talk.",
            },
            "Søren Kierkegaard": {
                "emails": ["soren@example.dk"],
                "phones": ["+45 20 00 00 00"],
                "groups": ["Starred"],
            },
            "Example Plumbing, LLC": {
                "organization": "Example Plumbing, LLC",
                "phones": ["(555) 010-0199"],
            },
            "noreply-contact@example.net": {
                "emails": ["noreply-contact@example.net"],
                "groups": ["Other contacts"],
            },
            "山田 太郎": {"phones": ["090-0000-1111"], "birthday": "--05-17", "groups": ["Family"]},
        },
    ),
    "google-csv-legacy-minimal-phone-only.csv": (
        "google-csv",
        1,
        {"Owncloud 8 test": {"phones": ["444 111 5552"], "emails": [], "groups": []}},
    ),
    "google-csv-legacy-multiline-address.csv": (
        "google-csv",
        1,
        {
            "Prefix Firstname Middle Lastname Suffix": {
                "emails": ["home@aaa.pl", "work@email.pl", "unknown@email.com", "other@email.com"],
                "phones": [],  # the cells hold words (`pager`, `mobile`), not numbers
                "organization": "company",
                "title": "jobtitle",
                "birthday": "1975-12-12",
                "note": 'note"note',
                "groups": ["Test"],
                "urls": ["test.com", "home.page.com"],
            }
        },
    ),
    "linkedin-connections-2018-12h-timestamps.csv": (
        "linkedin-csv",
        9,
        {
            "Carsten Example": {
                "emails": ["carsten@example.dk"],
                "organization": "ApproveExample",
                "title": "Owner",
                "connected_on": "2018-01-08",
            },
            "Vikram Example": {"emails": ["vikram@example.in"], "connected_on": "2018-04-04"},
            "shalini mehta": {"emails": ["dr.shalini@example.com"], "connected_on": "2017-11-17"},
            "Varun Example": {
                "organization": "The Startup Edge-Entrepreneurship Cell, Example College."
            },
            "Deepa Example": {"organization": None, "connected_on": "2015-07-28"},
            "Anita Bose": {"given_name": "Anita"},
            "Meera E . Example": {"family_name": "E . Example"},
            "Trần Thị Lan": {"emails": ["tran.lan@example.vn"]},
            "Yash Example": {"emails": [], "connected_on": "2018-08-18"},
        },
    ),
    "linkedin-connections-2024-notes-preamble.csv": (
        "linkedin-csv",
        10,
        {
            "Maria García López": {
                "emails": [],
                "organization": "Acme Widgets, Inc.",
                "title": "Head of Partnerships",
                "connected_on": "2024-10-09",
            },
            "Jonas Müller": {
                "emails": ["jonas.mueller@example.com"],
                "organization": "Beispiel GmbH",
                "title": "Manager, Product Experience Design",
                "connected_on": "2024-10-03",
            },
            "Dana Mwangi": {"emails": ["dana.mwangi@example.org"], "connected_on": "2024-02-27"},
            "Ivan Petrov": {"given_name": "Ivan", "title": "Senior PHP Developer"},
            "Alina Horvath Fried🔸": {"given_name": "Alina"},
            "Ema Šarić": {
                "urls": ["https://www.linkedin.com/in/ema-%C5%A1ari%C4%87-000000001"],
            },
            "Hendrik Jan de Vries": {"organization": None},  # company " -" is a placeholder
            "Sanjay 🔸 Example": {"organization": "80,000 Example Hours"},
        },
    ),
    "outlook-desktop-csv-92col-constructed.csv": (
        "outlook-csv",
        3,
        {
            "John Q Public Jr.": {
                "given_name": "John",
                "family_name": "Public",
                "emails": ["john.public@example.com", "jqp@example.net"],
                "phones": ["(217) 555-0100", "(217) 555-0111"],
                "organization": "Example Corp",
                "title": "Account Executive",
                "birthday": "1980-03-22",
                "groups": ["Customers", "VIP"],
                "urls": ["http://www.example.com/"],
                "note": "Prefers calls after 3pm.\nSecond line of notes.",
            },
            "Ingrid Bergström": {
                "emails": ["ingrid@example.se"],
                "phones": ["+46 8 000 00 00"],
                "birthday": None,  # 0/0/00
            },
            "Example Catering": {"emails": [], "phones": ["555-0199"], "birthday": None},
        },
    ),
    "thunderbird-csv-export-multiline-tab-quotes.csv": (
        "thunderbird-csv",
        2,
        {
            "contact number one": {"emails": ["contact1@invalid"]},
            "contact number two": {
                "emails": ["contact2@invalid"],
                "title": '"worker"',
                "note": "here's some unicode text…",
            },
        },
    ),
    "thunderbird-csv-import-basic-screen-name-last.csv": (
        "thunderbird-csv",
        2,
        {
            "John Doe": {"emails": ["john@doe.invalid"]},
            "Jane Doe": {"emails": ["jane@doe.invalid"]},
        },
    ),
}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _check(contact: ContactRecord, field: str, want: object) -> None:
    got = getattr(contact, field)
    if field == "phones":
        assert isinstance(want, list)
        assert len(got) == len(want), (contact.full_name, got)
        for phone in want:  # E.164 under region US; compare digits as check-import does
            assert any(_digits(g).endswith(_digits(phone)) for g in got), (phone, got)
    else:
        assert got == want, (contact.full_name, field)


def _parse(name: str) -> ParseResult:
    return parse_csv((DATA / name).read_bytes(), region="US")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_file_yields_its_format_and_contact_count_without_issues(name: str) -> None:
    fmt, count, _ = CORPUS[name]
    result = _parse(name)
    assert (result.format, len(result.contacts), result.issues) == (fmt, count, [])


@pytest.mark.parametrize(
    ("name", "full_name"), [(n, full) for n, (_, _, people) in CORPUS.items() for full in people]
)
def test_corpus_contact_carries_the_documented_facts(name: str, full_name: str) -> None:
    by_name = {c.full_name: c for c in _parse(name).contacts}
    assert full_name in by_name, sorted(str(n) for n in by_name)
    for field, want in CORPUS[name][2][full_name].items():
        _check(by_name[full_name], field, want)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_email_is_casefolded_and_every_birthday_is_iso(name: str) -> None:
    for contact in _parse(name).contacts:
        assert all(e == e.casefold() for e in contact.emails)
        assert contact.birthday is None or re.fullmatch(
            r"\d{4}-\d\d-\d\d|--\d\d-\d\d", contact.birthday
        )


def test_importer_dispatches_corpus_csv_to_the_csv_parser() -> None:
    raw = (DATA / "linkedin-connections-2024-notes-preamble.csv").read_bytes()
    assert parse_export(raw, region="US").format == "linkedin-csv"


def test_contact_line_is_the_physical_line_where_its_row_starts() -> None:
    google = _parse("google-csv-2024-labeled-constructed.csv").contacts
    # Grace's row starts on line 2 and spans 4 lines (multi-line Notes and address)
    assert [c.line for c in google] == [2, 6, 7, 8, 9]
    linkedin = _parse("linkedin-connections-2024-notes-preamble.csv").contacts
    assert linkedin[0].line == 5  # after Notes:, the quoted disclaimer, a blank line, the header


def test_linkedin_rows_get_a_source_uid_from_the_profile_url_or_the_name_and_date() -> None:
    current = _parse("linkedin-connections-2024-notes-preamble.csv").contacts
    assert current[0].source_uid == "https://www.linkedin.com/in/maria-garcia-lopez-7a1b2c3d"
    legacy = _parse("linkedin-connections-2018-12h-timestamps.csv").contacts
    assert legacy[0].source_uid == "linkedin:carsten example:2018-01-08"
    assert len({c.source_uid for c in current + legacy}) == 19
