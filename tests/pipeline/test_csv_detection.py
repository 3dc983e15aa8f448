"""Which CSV layout a header belongs to, and which files are no contact CSV at all."""

from __future__ import annotations

import pytest

from pipeline.formats.csv.parse import detect_format, parse_csv
from pipeline.formats.csv.reader import header_key
from pipeline.models import UnreadableFile

GOOGLE_2024 = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,Phonetic Last Name,"
    "Name Prefix,Name Suffix,Nickname,File As,Organization Name,Organization Title,"
    "Organization Department,Birthday,Notes,Photo,Labels,E-mail 1 - Label,E-mail 1 - Value,"
    "Phone 1 - Label,Phone 1 - Value"
)
GOOGLE_LEGACY = (
    "Name,Given Name,Additional Name,Family Name,Yomi Name,Given Name Yomi,Additional Name Yomi,"
    "Family Name Yomi,Name Prefix,Name Suffix,Initials,Nickname,Short Name,Maiden Name,Birthday,"
    "Gender,Location,Billing Information,Directory Server,Mileage,Occupation,Hobby,Sensitivity,"
    "Priority,Subject,Notes,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,"
    "Phone 1 - Value,Organization 1 - Type,Organization 1 - Name,Organization 1 - Title"
)
OUTLOOK_DESKTOP = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,Business Street,"
    "Business City,Business Phone,Home Phone,Mobile Phone,Birthday,Categories,E-mail Address,"
    "E-mail Type,E-mail Display Name,E-mail 2 Address,Notes,Web Page"
)
OUTLOOK_COM = (
    "First Name,Middle Name,Last Name,Title,Suffix,Nickname,Given Yomi,Surname Yomi,"
    "E-mail Address,E-mail 2 Address,E-mail 3 Address,Home Phone,Home Phone 2,Business Phone,"
    "Mobile Phone,Job Title,Department,Company,Web Page,Birthday,Anniversary,Notes"
)
LINKEDIN_2024 = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
LINKEDIN_2018 = "First Name,Last Name,Email Address,Company,Position,Connected On"
THUNDERBIRD = (
    "First Name,Last Name,Display Name,Nickname,Primary Email,Secondary Email,Screen Name,"
    "Work Phone,Home Phone,Fax Number,Pager Number,Mobile Number,Job Title,Department,"
    "Organization,Web Page 1,Web Page 2,Birth Year,Birth Month,Birth Day,Notes"
)


def _keys(header: str) -> list[str]:
    return [header_key(cell) for cell in header.split(",")]


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (GOOGLE_2024, "google-csv"),
        (GOOGLE_LEGACY, "google-csv"),
        ("Name,Group Membership,Phone 1 - Type,Phone 1 - Value", "google-csv"),
        (OUTLOOK_DESKTOP, "outlook-csv"),
        (OUTLOOK_COM, "outlook-csv"),
        (LINKEDIN_2024, "linkedin-csv"),
        (LINKEDIN_2018, "linkedin-csv"),
        (THUNDERBIRD, "thunderbird-csv"),
        ("Name,Email,Phone", "outlook-csv"),
        ("Display Name,Email Home,Home Mobile", "outlook-csv"),
    ],
)
def test_each_layout_is_detected_from_its_header(header: str, fmt: str) -> None:
    assert detect_format(_keys(header)) == fmt


@pytest.mark.parametrize(
    "header",
    [
        "Date,Amount,Description,Balance",
        "id,product,price,quantity",
        "Name,Colour,Size",  # a name column alone says nothing about contacts
        "Email,Subject,Sent",  # an email column without any name column
    ],
)
def test_a_header_of_unrelated_columns_is_not_a_contact_header(header: str) -> None:
    assert detect_format(_keys(header)) is None


def test_a_csv_with_unrelated_columns_is_unreadable_with_one_clear_sentence() -> None:
    raw = b"Date,Amount,Description\n2024-01-01,12.50,Coffee\n"
    with pytest.raises(UnreadableFile, match=r"^no contact CSV header found \(.*\)$"):
        parse_csv(raw, region="US")


def test_a_header_only_file_reads_as_zero_contacts() -> None:
    result = parse_csv((LINKEDIN_2024 + "\n").encode(), region=None)
    assert (result.format, result.contacts, result.issues) == ("linkedin-csv", [], [])


def test_header_columns_match_whatever_their_case_spacing_and_quoting() -> None:
    raw = b'"FIRST NAME","last  name","E-Mail Address"\nAda,Lovelace,ADA@Example.org\n'
    result = parse_csv(raw, region=None)
    assert result.format == "outlook-csv"
    assert result.contacts[0].emails == ["ada@example.org"]


def test_format_override_picks_the_mapper_but_keeps_reading_the_header() -> None:
    raw = b"Name,E-mail 1 - Value\nAda Lovelace,ada@example.org\n"
    forced = parse_csv(raw, region=None, fmt="outlook-csv")
    assert forced.format == "outlook-csv"
    assert forced.contacts[0].full_name == "Ada Lovelace"


def test_an_unknown_format_override_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="not a CSV format"):
        parse_csv(b"Name,Email\nA,a@b.c\n", region=None, fmt="vcard")


def test_header_found_after_notes_lines_within_the_scan_window() -> None:
    preamble = "".join(f"Note line {n}\n" for n in range(10))
    raw = f"{preamble}\n{LINKEDIN_2024}\nAda,Lovelace,,,Analytical,Engine,05 Oct 2020\n"
    result = parse_csv(raw.encode(), region=None)
    assert result.contacts[0].line == 13
    assert result.contacts[0].connected_on == "2020-10-05"
