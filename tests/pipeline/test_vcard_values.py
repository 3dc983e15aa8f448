"""vCard values: parameters, escapes, structured components, birthdays and photos."""

from __future__ import annotations

import base64

import pytest

from pipeline.formats.vcard.birthday import parse_birthday
from pipeline.formats.vcard.photo import read_photo
from pipeline.formats.vcard.values import (
    decode_value,
    parse_params,
    split_escaped,
    split_property,
    unescape,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0" + bytes(40) + b"\xff\xd9"


def cp1252(data: bytes) -> str:
    return data.decode("cp1252")


def test_split_property_drops_the_group_upper_cases_the_name_and_respects_quotes() -> None:
    assert split_property(b"item1.email;type=INTERNET:a@b.org") == (
        b"EMAIL",
        b"type=INTERNET",
        b"a@b.org",
    )
    assert split_property(b'N;SORT-AS="a:b;c":Doe;John') == (b"N", b'SORT-AS="a:b;c"', b"Doe;John")
    assert split_property(b"no colon here") is None


def test_parse_params_reads_bare_21_values_type_lists_and_quoted_values() -> None:
    assert parse_params(b"CELL;PREF;ENCODING=QUOTED-PRINTABLE") == {
        "TYPE": ["CELL", "PREF"],
        "ENCODING": ["QUOTED-PRINTABLE"],
    }
    assert parse_params(b"quoted-printable;charset=utf-8") == {
        "ENCODING": ["QUOTED-PRINTABLE"],
        "CHARSET": ["utf-8"],
    }
    assert parse_params(b'TYPE="work,voice";PREF=1;VALUE=uri') == {
        "TYPE": ["work", "voice"],
        "PREF": ["1"],
        "VALUE": ["uri"],
    }
    assert parse_params(b"TYPE=WORK,POSTAL;type=pref") == {"TYPE": ["WORK", "POSTAL", "pref"]}
    assert parse_params(b'LABEL="Mr. ^\'J^\'^nDoe";SORT-AS="b,c"') == {
        "LABEL": ['Mr. "J"\nDoe'],  # RFC 6868 caret encoding
        "SORT-AS": ["b,c"],
    }


def test_rfc6350_escapes_are_undone_in_30_and_40_but_not_in_21() -> None:
    escaped = r"a\,b\;c\nd\Ne\\f\:g\x"
    assert unescape(escaped, "3.0") == "a,b;c\nd\ne\\f:g\\x"
    assert unescape(escaped, "4.0") == "a,b;c\nd\ne\\f:g\\x"
    assert unescape(escaped, "2.1") == escaped


def test_structured_values_split_only_on_unescaped_separators() -> None:
    assert split_escaped(r"Doe;John;Richter,James;Mr.;Sr.", ";", "3.0") == [
        "Doe",
        "John",
        "Richter,James",
        "Mr.",
        "Sr.",
    ]
    assert split_escaped(r"Gump Shrimp Co.;Sales Dept.\;Manager", ";", "2.1") == [
        "Gump Shrimp Co.",
        "Sales Dept.;Manager",
    ]
    assert split_escaped(r"A\\;B\,C", ";", "3.0") == ["A\\", "B,C"]
    # AOSP's reading of vCard 2.1 N (tests/res/raw/v21_backslash.vcf).
    assert split_escaped(r";A\;B\\;C\\\;;D;\:E;\\\\;", ";", "2.1") == [
        "",
        "A;B\\",
        "C\\;",
        "D",
        ":E",
        "\\\\",
        "",
    ]
    assert split_escaped("Johny\\,JayJay,Jo", ",", "3.0") == ["Johny,JayJay", "Jo"]


def test_decode_value_applies_qp_then_charset_and_falls_back_for_undeclared_bytes() -> None:
    assert decode_value(b"ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1", b"Gr=FC=DFe", cp1252) == (
        "Grüße"
    )
    assert decode_value(b"QUOTED-PRINTABLE", b"=E2=80=A6", cp1252) == "…"
    assert decode_value(b"CHARSET=no-such-charset", b"caf\xe9", cp1252) == "café"
    assert decode_value(b"TYPE=HOME", b"caf\xc3\xa9", cp1252) == "café"
    assert decode_value(b"", b"caf\xe9", cp1252) == "café"
    assert (
        decode_value(b"ENCODING=B;CHARSET=UTF-8", base64.b64encode("Zoë".encode()), cp1252) == "Zoë"
    )


@pytest.mark.parametrize(
    ("value", "params", "expected"),
    [
        ("1980-05-21", "", "1980-05-21"),
        ("19800521", "value=date", "1980-05-21"),
        ("1985-01-28T00:00:00Z", "", "1985-01-28"),
        ("1953-10-15T23:10:00Z", "", "1953-10-15"),
        ("--0203", "", "--02-03"),
        ("--02-29", "", "--02-29"),
        ("--12-31T10:00", "", "--12-31"),
        ("1604-11-30", "X-APPLE-OMIT-YEAR=1604", "--11-30"),
        ("1604-11-30", "value=date", "--11-30"),
        ("2004-11-30", "X-APPLE-OMIT-YEAR=2004;VALUE=date", "--11-30"),
        ("0000-05-17", "", "--05-17"),
        ("1980-1-2", "", "1980-01-02"),
        ("1980/01/02", "", "1980-01-02"),
    ],
)
def test_birthdays_become_iso_dates_or_year_less_month_days(
    value: str, params: str, expected: str
) -> None:
    assert parse_birthday(value, params) == (expected, None)


@pytest.mark.parametrize("value", ["1980-02-30", "--13-01", "circa 1800", "1980", "---03"])
def test_unreadable_birthdays_are_dropped_with_a_reason(value: str) -> None:
    birthday, problem = parse_birthday(value, "")
    assert birthday is None
    assert problem is not None and value in problem


def test_free_text_and_empty_birthdays() -> None:
    assert parse_birthday("circa 1800", "VALUE=text")[0] is None
    assert parse_birthday("  ", "") == (None, None)


def test_photos_decode_from_base64_parameters_and_data_uris() -> None:
    b64 = base64.b64encode(PNG).decode()
    folded = "\n ".join(b64[i : i + 20] for i in range(0, len(b64), 20))
    assert read_photo("ENCODING=b;TYPE=PNG", folded) == (PNG, None)
    assert read_photo("TYPE=JPEG;ENCODING=BASE64", base64.b64encode(JPEG).decode()) == (JPEG, None)
    assert read_photo("BASE64;JPEG", base64.b64encode(JPEG).decode()) == (JPEG, None)
    assert read_photo("", f"data:image/png;base64,{b64}") == (PNG, None)
    assert read_photo("VALUE=uri", f"DATA:image/png;BASE64,{b64}") == (PNG, None)


def test_photo_links_and_empty_photos_are_skipped_silently() -> None:
    assert read_photo("VALUE=uri", "https://example.org/me.jpg") == (None, None)
    assert read_photo("", "") == (None, None)
    assert read_photo("ENCODING=b", "   ") == (None, None)


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(JPEG).decode()[:-7],  # cut mid-stream: no JPEG end marker
        base64.b64encode(JPEG).decode().rstrip("=")[:61],  # length % 4 == 1: not base64
        base64.b64encode(PNG[:-12]).decode(),  # PNG without IEND
        "QUJD",  # three bytes are not an image
        "Zm9v\u00e9YmFy",  # non-ASCII inside base64
    ],
)
def test_truncated_or_garbage_photos_are_skipped_with_a_reason(value: str) -> None:
    photo, problem = read_photo("ENCODING=b", value)
    assert photo is None
    assert problem is not None and "PHOTO" in problem
