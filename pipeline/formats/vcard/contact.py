"""Contact points from vCard values: e-mail addresses, phone numbers, whitespace-collapsed text."""

from __future__ import annotations

import re
import unicodedata

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from pipeline.normalize import normalize_email, normalize_phone

# A subset of the addresses normalize_email accepts (test_to_email_agrees_with_normalize_email).
_PLAIN_ADDR = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ANGLE_ADDR = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
# RFC 5321 allows a single-label domain (`contact1@invalid` in Thunderbird's own test export).
_BARE_HOST_ADDR = re.compile(r"[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_PLUS = re.compile(r"\+[0-9 ().-]+")
_SEPARATORS = str.maketrans("", "", " ().-")
# A North American number written without +1: (212) 555-0100, 212.555.0100, 212-555-0100.
_NANP_TEN = re.compile(r"\(?[2-9]\d\d\)?[ .-]?\d{3}[ .-]?\d{4}")
_NANP_REGIONS = frozenset(COUNTRY_CODE_TO_REGION_CODE[1])
_Country = tuple[re.Pattern[str] | None, frozenset[int]] | None
_COUNTRIES: dict[int, _Country] = {}
_HEADS: dict[str, tuple[int, _Country]] = {}
_NANP_REGION: dict[str, bool] = {}


def squeeze(text: str) -> str | None:
    """pipeline.normalize.collapse_ws (NFC, trimmed, inner whitespace runs as one space), faster."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split()) or None


def to_email(text: str) -> str | None:
    """A casefolded address from a bare, `mailto:` or display-name (`"Omega" <o@x.org>`) value."""
    if text.isascii():
        # The common case without normalize_email's NFC pass: an ASCII address, as it matches.
        bare = text.strip()
        if _PLAIN_ADDR.fullmatch(bare):
            return bare.lower()
    address = normalize_email(text)
    if address:
        return address
    match = _ANGLE_ADDR.search(text)
    candidate = (match.group(1) if match else text).strip()
    if candidate.lower().startswith("mailto:"):
        candidate = candidate[7:]
    address = normalize_email(candidate)
    if address:
        return address
    if _BARE_HOST_ADDR.fullmatch(candidate):
        return unicodedata.normalize("NFC", candidate).casefold()
    return None


def _country(code: int) -> _Country:
    """libphonenumber's national-prefix pattern and possible NSN lengths for a calling code."""
    if code not in _COUNTRIES:
        info: _Country = None
        regions = COUNTRY_CODE_TO_REGION_CODE.get(code, ())
        metadata = PhoneMetadata.metadata_for_region(regions[0]) if regions else None
        desc = metadata.general_desc if metadata is not None else None
        if metadata is not None and desc is not None:
            # Local-only lengths are not E.164: normalize_phone keeps such numbers as written.
            sizes = tuple(desc.possible_length or ())
            prefix = metadata.national_prefix_for_parsing
            if sizes and min(sizes) > 0:
                info = (re.compile(prefix) if prefix else None, frozenset(sizes))
        _COUNTRIES[code] = info
    return _COUNTRIES[code]


def _calling_code(head: str) -> tuple[int, _Country]:
    """(length, country) of the calling code that starts `head`, a number's first three digits.

    Country calling codes are prefix-free, 1 to 3 digits (ITU-T E.164); memoised per head
    (at most 1,110 of them).
    """
    found = _HEADS.get(head)
    if found is None:
        size = next((n for n in (1, 2, 3) if int(head[:n]) in COUNTRY_CODE_TO_REGION_CODE), 0)
        found = _HEADS[head] = (size, _country(int(head[:size])) if size else None)
    return found


def _nanp(region: str) -> bool:
    """The region dials North American numbers without +1 (memoised: regions are few)."""
    known = _NANP_REGION.get(region)
    if known is None:
        known = region.upper() in _NANP_REGIONS
        if len(_NANP_REGION) < 1000:
            _NANP_REGION[region] = known
    return known


def _shortcut(text: str, region: str | None) -> str | None:
    """E.164 without a full parse when libphonenumber provably changes no digit, else None.

    That is a `+CC` number whose national part has no national prefix and a possible length
    for that country, or a ten-digit NANP number in a NANP region.
    """
    if text[:1] == "+":
        if not _PLUS.fullmatch(text):
            return None
        digits = text[1:].translate(_SEPARATORS)
        if not digits or digits[0] == "0":
            return None
        size, info = _calling_code(digits[:3])
        national = digits[size:]
        if info is None or not 2 <= len(national) <= 17 or national[0] == "0":
            return None
        prefix, sizes = info
        if len(national) not in sizes or (prefix is not None and prefix.match(national)):
            return None
        return "+" + digits
    if region is not None and _nanp(region) and _NANP_TEN.fullmatch(text):
        return "+1" + text.translate(_SEPARATORS)
    return None


def to_phone(text: str, region: str | None, cache: dict[str, str | None]) -> str | None:
    """normalize_phone(text, region), memoised per file and with a shortcut for plain numbers.

    libphonenumber's parse costs ~20 us a number and dominated the import of large exports.
    """
    phone = cache.get(text, "")
    if phone != "":
        return phone
    phone = _shortcut(text.strip(), region) or normalize_phone(text, region)
    cache[text] = phone
    return phone
