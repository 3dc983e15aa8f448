"""vCard properties to ContactRecord fields: names, contact points, groups, photos, skipped cards."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.formats.vcard.contact import squeeze, to_email, to_phone
from pipeline.formats.vcard.parse import parse_vcards
from pipeline.models import ContactRecord, ParseResult
from pipeline.normalize import collapse_ws, normalize_email, normalize_phone

PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def parse(text: str, region: str | None = "US") -> ParseResult:
    return parse_vcards(text.encode("utf-8"), region=region)


def one(*lines: str, version: str = "3.0", region: str | None = "US") -> ContactRecord:
    result = parse("\r\n".join(["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD"]), region)
    [contact] = result.contacts
    return contact


def test_fn_is_the_name_and_n_gives_given_and_family() -> None:
    contact = one("N:Doe;John;Richter,James;Mr.;Sr.", "FN:Mr. John Richter James Doe Sr.")
    assert contact.full_name == "Mr. John Richter James Doe Sr."
    assert (contact.given_name, contact.family_name) == ("John", "Doe")


def test_without_fn_the_name_is_n_in_display_order() -> None:
    contact = one("n:Branntwein;Franz;M.;Herr;", "fn:", version="2.1")
    assert contact.full_name == "Herr Franz M. Branntwein"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["NICKNAME:Johny\\,JayJay,Jo"], "Johny,JayJay"),
        (["X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Nick;1;;;;;;;;;;;;;"], "Nick"),
        (["ORG:;Sales;East"], "Sales"),
        (["ORG:Company\\, The;Dept"], "Company, The"),
        (["EMAIL;TYPE=INTERNET:Ann@Example.org"], "ann@example.org"),
        (["TEL;CELL:+1 (212) 555-0100"], "+12125550100"),
        (["X-GOOGLE-TALK:hhh@gmail.com"], "hhh@gmail.com"),
        (["IMPP:xmpp:ann@jabber.example.org"], "xmpp:ann@jabber.example.org"),
    ],
)
def test_a_card_without_any_name_takes_one_from_nickname_org_email_phone_or_im(
    lines: list[str], expected: str
) -> None:
    assert one(*lines).full_name == expected


def test_a_card_with_nothing_to_name_it_is_skipped_with_an_issue() -> None:
    result = parse("BEGIN:VCARD\nVERSION:3.0\nNOTE:just a note\nEND:VCARD\n")
    assert result.contacts == []
    [issue] = result.issues
    assert issue.line == 1 and "no name, e-mail, phone or organization" in issue.message


def test_an_empty_card_is_skipped_with_a_notice() -> None:
    result = parse("BEGIN:VCARD\r\nEND:VCARD\r\n")
    assert result.contacts == []
    assert [(i.line, i.message) for i in result.issues] == [(1, "empty card; skipped")]


@pytest.mark.parametrize("kind", ["KIND:group", "X-ADDRESSBOOKSERVER-KIND:group", "kind:GROUP"])
def test_group_cards_are_not_people(kind: str) -> None:
    text = f"BEGIN:VCARD\nVERSION:4.0\nFN:Friends\n{kind}\nMEMBER:urn:uuid:1\nEND:VCARD\n"
    result = parse(text)
    assert result.contacts == []
    assert "contact group 'Friends' skipped" in result.issues[0].message


def test_organisation_cards_are_kept() -> None:
    assert one("KIND:org", "FN:Acme Plumbing", version="4.0").full_name == "Acme Plumbing"


def test_emails_are_casefolded_deduplicated_and_read_from_display_name_and_mailto_forms() -> None:
    contact = one(
        "FN:Omega",
        'EMAIL;INTERNET:"Omega" <Omega@Example.com>',
        "item1.EMAIL;type=INTERNET;type=pref:omega@example.com",
        "EMAIL;VALUE=uri:mailto:second@example.org",
        "EMAIL:contact1@invalid",
    )
    assert contact.emails == ["omega@example.com", "second@example.org", "contact1@invalid"]


def test_values_that_are_not_addresses_are_dropped_with_an_issue() -> None:
    result = parse("BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEMAIL:ÑÑÑ\nEMAIL:\nEND:VCARD\n")
    assert result.contacts[0].emails == []
    assert [(i.line, "is not an address" in i.message) for i in result.issues] == [(4, True)]


def test_phones_are_e164_with_the_region_and_as_written_otherwise() -> None:
    contact = one(
        "FN:Sherlock",
        "TEL;VALUE=uri;TYPE=home:tel:+44-555-555-5555;ext=5555",
        "TEL;TYPE=cell:(212) 555-0100",
        "TEL;TYPE=work:212.555.0100",
        "TEL:+999 1234",
        version="4.0",
    )
    assert contact.phones == ["+445555555555", "+12125550100", "+999 1234"]
    assert one("FN:A", "TEL:(212) 555-0100", region=None).phones == ["(212) 555-0100"]


def test_sip_and_other_uri_phones_become_urls_and_words_are_reported() -> None:
    result = parse(
        "BEGIN:VCARD\nVERSION:4.0\nFN:A\nTEL;TYPE=HOME:tel:1\nTEL:sip:a@example.com\n"
        "TEL;WORK:BusinessPhone\nTEL;WORK:\nEND:VCARD\n"
    )
    [contact] = result.contacts
    assert contact.phones == ["1"]
    assert contact.urls == ["sip:a@example.com"]
    [issue] = result.issues
    assert issue.line == 6 and "BusinessPhone" in issue.message


def test_urls_social_profiles_and_impp_go_to_urls_bare_handles_do_not() -> None:
    contact = one(
        "FN:A",
        "item2.URL;type=pref:http\\://www.ibm.com",
        "item2.X-ABLabel:_$!<HomePage>!$_",
        "X-SOCIALPROFILE;TYPE=GITHUB:https://github.com/apache/james-project",
        "X-SOCIALPROFILE;type=twitter;x-user=ann:ann",
        "IMPP;X-SERVICE-TYPE=Skype:skype:ann.example",
        "URL:http://www.ibm.com",
    )
    assert contact.urls == [
        "http://www.ibm.com",
        "https://github.com/apache/james-project",
        "skype:ann.example",
    ]


def test_categories_are_groups_and_2_1_also_splits_them_on_semicolons() -> None:
    assert one("FN:A", "CATEGORIES:Demo,Nepomuk(SAP),Demo").groups == ["Demo", "Nepomuk(SAP)"]
    assert one("FN:A", "CATEGORIES:Work;Gym", version="2.1").groups == ["Work", "Gym"]
    assert one("FN:A", "CATEGORIES:a\\,b").groups == ["a,b"]


def test_title_uid_notes_and_escapes() -> None:
    contact = one(
        "FN:A",
        'TITLE:"worker"',
        "UID:urn:uuid:b8767877",
        "NOTE:line one\\Nline two\\, and more\\;",
        "NOTE:second note",
    )
    assert contact.title == '"worker"'
    assert contact.source_uid == "urn:uuid:b8767877"
    assert contact.note == "line one\nline two, and more;\nsecond note"


def test_quoted_printable_notes_keep_their_lines_as_lf() -> None:
    contact = one(
        "FN:A",
        "NOTE;ENCODING=QUOTED-PRINTABLE:This is the note!!=0D=0ASecond line=0D=0A=0D=0AThird=",
        "=0D=0A",
        version="2.1",
    )
    assert contact.note == "This is the note!!\nSecond line\n\nThird"


def test_birthday_with_apple_omitted_year_and_the_first_readable_bday_wins() -> None:
    result = parse(
        "BEGIN:VCARD\nVERSION:3.0\nFN:A\nBDAY:not a date\n"
        "BDAY;X-APPLE-OMIT-YEAR=1604;VALUE=date:1604-11-30\nEND:VCARD\n"
    )
    assert result.contacts[0].birthday == "--11-30"
    [issue] = result.issues
    assert issue.line == 4 and "not a date" in issue.message


def test_photo_bytes_are_kept_and_a_broken_photo_is_only_an_issue() -> None:
    contact = one("FN:A", f"PHOTO;ENCODING=b;TYPE=PNG:{PNG_B64}")
    assert contact.photo == base64.b64decode(PNG_B64)
    result = parse(
        "BEGIN:VCARD\nVERSION:2.1\nFN:John Doe\nPHOTO;ENCODING=BASE64:/9j/4QFaRXhpZgAASUkqAAgAAA1\n"
        f"\nPHOTO;ENCODING=BASE64:{PNG_B64}\n\nNOTE:\nEND:VCARD\n"
    )
    [contact] = result.contacts
    assert contact.photo == base64.b64decode(PNG_B64)  # the second, intact photo
    [issue] = result.issues
    assert issue.line == 4 and "PHOTO" in issue.message


def test_unknown_and_rare_properties_are_ignored() -> None:
    contact = one(
        "FN:A",
        "X-ABShowAs-ABShowAs:COMPANY",
        "X-messaging/skype-All:antoni",
        "AGENT:Invalid line which must be handled correctly.",
        "GEO:45.000000;-87.300003",
        'X-MS-OL-DESIGN;CHARSET=utf-8:<card xmlns="http://schemas"/>',
        "TZ:1:00",
    )
    assert contact.full_name == "A"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x1c\u00a0\u3000aéÉ\u0301b,"), max_size=20))
def test_squeeze_is_collapse_ws(text: str) -> None:
    assert squeeze(text) == collapse_ws(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('aZ09.-_+%@<>" :mailto;,ÑA\t'), max_size=30))
def test_to_email_agrees_with_normalize_email_wherever_that_accepts(text: str) -> None:
    expected = normalize_email(text)
    if expected is not None:
        assert to_email(text) == expected
    elif to_email(text) is not None:
        # Only the forms normalize_email does not read: display names and dotless domains.
        assert "<" in text or "." not in text.rpartition("@")[2]


_COUNTRY = st.sampled_from(
    [
        "1",
        "44",
        "49",
        "33",
        "39",
        "54",
        "55",
        "7",
        "81",
        "86",
        "91",
        "352",
        "420",
        "998",
        "800",
        "0",
        "999",
    ]
)
_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=16)
_SEP = st.sampled_from(["", " ", "-", ".", "(", ")", "/", "ext ", "x"])


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    _COUNTRY,
    st.lists(st.tuples(_SEP, _DIGITS), max_size=5),
    st.sampled_from(["US", "CA", "GB", "DE", None, "us"]),
)
def test_the_phone_shortcut_gives_exactly_what_normalize_phone_gives(
    plus: bool, country: str, pieces: list[tuple[str, str]], region: str | None
) -> None:
    text = ("+" + country if plus else "") + "".join(sep + digits for sep, digits in pieces)
    assert to_phone(text, region, {}) == normalize_phone(text, region)


@pytest.mark.parametrize(
    "text",
    [
        "(212) 555-0100",
        "212-555-0100",
        "+1 212 555 0100",
        "1-212-555-0100",
        "+44 20 7946 0000",
        "+44 (0) 20 7946 0000",
        "+54 9 11 1234-5678",
        "+39 06 1234 5678",
        "+7 495 123-45-67",
        "+800 1234 5678",
        "+1 (155) 555-0100",
        "+352 12 34 56",
        "555-0100",
        "0311111111",
    ],
)
def test_the_phone_shortcut_matches_normalize_phone_on_common_shapes(text: str) -> None:
    for region in ("US", "GB", None):
        assert to_phone(text, region, {}) == normalize_phone(text, region)
