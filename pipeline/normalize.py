"""Normalisation shared by every importer: emails, phone numbers, names."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

_WS = re.compile(r"\s+")
# Deliberately loose: single-label domains (`contact1@invalid`, intranet addresses) are real in
# exports; we only refuse what cannot be an address at all.
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\".]+(\.[^@\s<>(),;:\".]+)*$")


# The one text-cleaning policy: which control characters each kind of text may keep.
# - Control characters that are not whitespace (NUL..BS, SO..ESC, DEL) never survive clean_text:
#   a quoted-printable `=00` must not reach the database (PostgreSQL refuses NUL in text).
# - The whitespace-like controls (VT, FF, FS, GS, RS, US: str.split and re's \s split on them)
#   survive clean_text so that collapse_ws turns them into a space ("Ann\x1fSmith" is two words);
#   whatever is left of them in a finished contact record (a note is cleaned, not collapsed) is
#   dropped by strip_record_controls, so stored record text keeps only TAB, LF and CR.
# - iCalendar TEXT (RFC 5545 section 3.3.11) allows no CONTROL but HTAB: the feed drops CR
#   (after turning CRLF and CR into LF) and keeps LF only because icalendar writes it escaped as
#   `\n`; it also drops the C1 range U+0080-U+009F, beyond the RFC's CONTROL, since no calendar
#   client shows it as text. Record text keeps CR and C1 because an export is the user's text.
_NON_SPACE_CONTROLS = "\x00-\x08\x0e-\x1b\x7f"
_SPACE_CONTROLS = "\x0b\x0c\x1c-\x1f"
_CONTROLS = re.compile(f"[{_NON_SPACE_CONTROLS}]")
RECORD_CONTROLS = re.compile(f"[{_NON_SPACE_CONTROLS}{_SPACE_CONTROLS}]")
# RECORD_CONTROLS as bytes: UTF-8 text holds one of those characters only where its bytes hold
# the same byte (every byte of a multi-byte sequence is >= 0x80), so a card whose bytes have none
# and that is decoded as UTF-8 in one piece needs no record check (vcard/parse.py).
RECORD_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
ICAL_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_record_controls(value: str) -> str:
    """`value` without any control character a stored record may not hold (see above)."""
    return RECORD_CONTROLS.sub("", value)


def clean_text(value: str | None) -> str | None:
    """NFC, trimmed, C0 control characters other than tab, CR and LF dropped (a quoted-printable
    `=00` must not reach the database: PostgreSQL refuses NUL in text); empty becomes None."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", _CONTROLS.sub("", value)).strip()
    return text or None


def collapse_ws(value: str | None) -> str | None:
    text = clean_text(value)
    return _WS.sub(" ", text) if text else None


def normalize_email(raw: str | None) -> str | None:
    """Casefolded address, or None when it is not an address at all.

    `mailto:` prefixes (vCard 4.0 URIs, calendar attendees) are dropped.
    """
    text = clean_text(raw)
    if not text:
        return None
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().strip("<>").strip()
    if not _EMAIL.match(text):
        return None
    return text.casefold()


def normalize_phone(raw: str | None, region: str | None) -> str | None:
    """E.164 when libphonenumber can parse it as a possible number, else the number as written.

    `tel:` URIs (RFC 3966, used by vCard 4.0 per RFC 6350 section 6.4.1) lose their prefix and
    parameters first. Returns None for a value with no digits at all.
    """
    text = clean_text(raw)
    if not text:
        return None
    if text.lower().startswith("tel:"):
        text = text[4:].split(";", 1)[0]
    if not any(ch.isdigit() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return collapse_ws(text)
    # IS_POSSIBLE only: a local-only number ("555-0100" without an area code) has no E.164 form,
    # so it stays as written rather than becoming a number nobody can dial.
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return collapse_ws(text)


def unique(values: list[str]) -> list[str]:
    """Order-preserving de-duplication (always a new list)."""
    if len(values) < 2:  # most lists of a card: nothing to de-duplicate (called per field)
        return list(values)
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def name_key(name: str) -> str:
    """A comparison key for names: accents dropped, casefolded, punctuation removed, words sorted."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"\w+", bare)
    return " ".join(sorted(words))


def fallback_name(
    *,
    full_name: str | None,
    given_name: str | None,
    family_name: str | None,
    nickname: str | None = None,
    organization: str | None = None,
    emails: list[str] | None = None,
    phones: list[str] | None = None,
) -> str | None:
    """The display name: the written full name, else given+family, nickname, org, email, phone."""
    for candidate in (
        full_name,
        " ".join(p for p in (given_name, family_name) if p),
        nickname,
        organization,
        emails[0] if emails else None,
        phones[0] if phones else None,
    ):
        text = collapse_ws(candidate)
        if text:
            return text
    return None
