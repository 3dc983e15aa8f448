"""One lexed vCard to a ContactRecord: names, e-mails, phones, dates, photo, groups and URLs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pipeline.formats.vcard.birthday import parse_birthday
from pipeline.formats.vcard.contact import squeeze, to_email, to_phone
from pipeline.formats.vcard.lexer import RawCard
from pipeline.formats.vcard.photo import read_photo
from pipeline.formats.vcard.props import IM_NAMES, Props, Row, collect
from pipeline.formats.vcard.values import split_escaped, unescape
from pipeline.models import ContactRecord, ImportIssue
from pipeline.normalize import clean_text, fallback_name, unique

_STRUCTURAL = frozenset({b"VERSION", b"PRODID", b"REV"})
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_NO_ENTRIES: list[Row] = []
_MEMO_SIZE = 20_000
_K = TypeVar("_K")
_V = TypeVar("_V")
_Name = tuple[str | None, str | None, tuple[str, ...]]  # family, given, N's five components


@dataclass(slots=True)
class Reader:
    """Per-file settings and caches shared by every card of one import."""

    region: str | None
    fallback: Callable[[bytes], str]
    phones: dict[str, str | None] = field(default_factory=dict)
    # Values that repeat across cards (companies, categories, birthdays, names) are read once
    # per file; each memo is bounded (`_keep`) so that a file of unique values stays small.
    orgs: dict[tuple[str, bool], str | None] = field(default_factory=dict)
    names: dict[tuple[str, bool], _Name] = field(default_factory=dict)
    categories: dict[tuple[str, bool], tuple[str, ...]] = field(default_factory=dict)
    birthdays: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)


def _keep(memo: dict[_K, _V], key: _K, value: _V) -> _V:
    if len(memo) < _MEMO_SIZE:
        memo[key] = value
    return value


def _text(value: str, escaped: bool) -> str:
    # Backslash escapes exist in 3.0/4.0 only (RFC 2426 5.8.4, RFC 6350 3.4), not in 2.1.
    return unescape(value, "3.0") if escaped and "\\" in value else value


def _first(entries: list[Row] | None, escaped: bool) -> str | None:
    for _, _, value in entries or _NO_ENTRIES:
        if escaped and "\\" in value:
            value = unescape(value, "3.0")
        text = squeeze(value)
        if text:
            return text
    return None


def _parts(entries: list[Row] | None, sep: str, escaped: bool) -> list[list[str]]:
    version = "3.0" if escaped else "2.1"
    return [split_escaped(value, sep, version) for _, _, value in entries or _NO_ENTRIES]


def _first_part(entries: list[Row] | None, sep: str, escaped: bool) -> str | None:
    """The first non-empty component: ORG's organization name, the first NICKNAME."""
    for parts in _parts(entries, sep, escaped):
        for part in parts:
            text = squeeze(part)
            if text:
                return text
    return None


def _nickname(props: Props, escaped: bool) -> str | None:
    entries = props.get("NICKNAME")
    # A comma list in 3.0/4.0 (RFC 6350 6.2.3), plain text in 2.1.
    nickname = _first_part(entries, ",", True) if escaped else _first(entries, False)
    if nickname:
        return nickname
    for parts in _parts(props.get("X-ANDROID-CUSTOM"), ";", escaped):
        if len(parts) > 1 and parts[0].strip().endswith("/nickname"):
            return squeeze(parts[1])
    return None


def _groups(entries: list[Row] | None, escaped: bool) -> list[str]:
    groups: list[str] = []
    for parts in _parts(entries, ",", escaped):
        for part in parts:
            # vCard 2.1 writers also separate categories with `;`.
            for piece in part.split(";") if not escaped else (part,):
                text = squeeze(piece)
                if text:
                    groups.append(text)
    return unique(groups)


def _organization(entries: list[Row], escaped: bool, reader: Reader) -> str | None:
    """ORG's organization name (its first non-empty component)."""
    if len(entries) > 1:
        return _first_part(entries, ";", escaped)
    key = (entries[0][2], escaped)
    if key in reader.orgs:  # None is a result too
        return reader.orgs[key]
    return _keep(reader.orgs, key, _first_part(entries, ";", escaped))


def _name(value: str, escaped: bool, reader: Reader) -> _Name:
    """(family, given, the five components) of an N value (RFC 6350 6.2.2)."""
    found = reader.names.get((value, escaped))
    if found is None:
        parts = split_escaped(value, ";", "3.0" if escaped else "2.1")
        if len(parts) < 5:
            parts += [""] * (5 - len(parts))
        found = _keep(
            reader.names, (value, escaped), (squeeze(parts[0]), squeeze(parts[1]), tuple(parts))
        )
    return found


def _categories(entries: list[Row], escaped: bool, reader: Reader) -> list[str]:
    if len(entries) > 1:
        return _groups(entries, escaped)
    key = (entries[0][2], escaped)
    found = reader.categories.get(key)
    if found is None:
        found = _keep(reader.categories, key, tuple(_groups(entries, escaped)))
    return list(found)  # each record gets a list of its own


def _birthday(row: Row, reader: Reader) -> tuple[str | None, str | None]:
    key = (row[2], row[1])  # the parameters matter (X-APPLE-OMIT-YEAR, VALUE=text)
    found = reader.birthdays.get(key)
    if found is None:
        found = _keep(reader.birthdays, key, parse_birthday(row[2], row[1]))
    return found


def _contact_points(
    card: RawCard, props: Props, reader: Reader, escaped: bool, issues: list[ImportIssue]
) -> tuple[list[str], list[str], list[str]]:
    """(emails, phones, urls), each de-duplicated in file order."""
    emails: list[str] = []
    for row in props.get("EMAIL", _NO_ENTRIES):
        text = row[2]
        if escaped and "\\" in text:
            text = unescape(text, "3.0")
        address = to_email(text)
        if address:
            if address not in emails:
                emails.append(address)
        elif text.strip():
            message = f"EMAIL {text.strip()!r} is not an address; ignored"
            issues.append(ImportIssue(card.row_line(row), message))
    phones: list[str] = []
    urls: list[str] = []
    region, cache = reader.region, reader.phones
    for row in props.get("TEL", _NO_ENTRIES):
        text = row[2].strip()
        if escaped and "\\" in text:
            text = unescape(text, "3.0")
        if ":" in text and text[:4].lower() != "tel:" and _URI_SCHEME.match(text):
            urls.append(text)  # sip:, xmpp: ... an address, not a phone number
            continue
        phone = to_phone(text, region, cache)
        if phone:
            if phone not in phones:
                phones.append(phone)
        elif text:
            message = f"TEL {text!r} has no digits; ignored"
            issues.append(ImportIssue(card.row_line(row), message))
    if "URL" in props:
        urls.extend(_text(value, escaped) for _, _, value in props["URL"])
    if "X-SOCIALPROFILE" in props:
        for _, _, value in props["X-SOCIALPROFILE"]:
            if "://" in value:  # a profile URL; bare handles are left alone
                urls.append(_text(value, escaped))
    if "IMPP" in props:
        for _, _, value in props["IMPP"]:
            if _URI_SCHEME.match(value.strip()):  # RFC 6350 6.4.3: xmpp:, sip:, aim: ... URIs
                urls.append(_text(value, escaped))
    if urls:
        urls = unique([url for url in map(clean_text, urls) if url])
    return emails, phones, urls


def _note(entries: list[Row], escaped: bool) -> str | None:
    """Every NOTE, blank ones dropped, one per paragraph; CR LF and CR as LF."""
    if len(entries) == 1:  # the usual card: no join needed
        note = _text(entries[0][2], escaped).replace("\r\n", "\n")
        return clean_text(note.replace("\r", "\n")) if note.strip() else None
    notes = (_text(value, escaped).replace("\r\n", "\n") for _, _, value in entries)
    return clean_text("\n".join(n.replace("\r", "\n") for n in notes if n.strip()))


def read_card(
    card: RawCard, reader: Reader, issues: list[ImportIssue]
) -> tuple[ContactRecord | None, str | None]:
    """The card's record (None for group cards and cards with nothing to name) and its VERSION."""
    props = collect(card, reader.fallback, issues)
    get = props.get
    version = None
    if "VERSION" in props:
        text = props["VERSION"][0][2].strip()
        version = "2.1" if text.startswith("2") else "4.0" if text.startswith("4") else "3.0"
    escaped = version != "2.1"
    if "KIND" in props or "X-ADDRESSBOOKSERVER-KIND" in props:
        kind = _first(get("KIND"), escaped) or _first(get("X-ADDRESSBOOKSERVER-KIND"), escaped)
        if (kind or "").casefold() == "group":  # RFC 6350 6.1.4; Apple's 3.0 spelling
            name = _first(get("FN"), escaped) or "unnamed"
            issues.append(ImportIssue(card.line, f"contact group {name!r} skipped: not a person"))
            return None, version
    full_name = _first(get("FN"), escaped)
    given = family = None
    if "N" in props:
        family, given, parts = _name(props["N"][0][2], escaped, reader)
        if not full_name:
            # No FN (2.1 allows it, some exports leave it empty): N in display order.
            full_name = squeeze(" ".join((parts[3], parts[1], parts[2], parts[0], parts[4])))
    nickname = None
    if "NICKNAME" in props or "X-ANDROID-CUSTOM" in props:
        nickname = _nickname(props, escaped)
    organization = _organization(props["ORG"], escaped, reader) if "ORG" in props else None
    emails, phones, urls = _contact_points(card, props, reader, escaped, issues)
    record = ContactRecord(
        source_uid=_first(get("UID"), escaped),
        full_name=full_name
        or fallback_name(
            full_name=None,
            given_name=given,
            family_name=family,
            nickname=nickname,
            organization=organization,
            emails=emails,
            phones=phones,
        )
        or next(filter(None, (_first(get(name), escaped) for name in IM_NAMES)), None),
        given_name=given,
        family_name=family,
        emails=emails,
        phones=phones,
        organization=organization,
        title=_first(get("TITLE"), escaped) if "TITLE" in props else None,
        groups=_categories(props["CATEGORIES"], escaped, reader) if "CATEGORIES" in props else [],
        urls=urls,
        nickname=nickname,
        line=card.line,
    )
    if "NOTE" in props:
        record.note = _note(props["NOTE"], escaped)
    for row in get("BDAY", _NO_ENTRIES):
        birthday, problem = _birthday(row, reader)
        if problem:
            issues.append(ImportIssue(card.row_line(row), problem))
        if birthday:
            record.birthday = birthday
            break
    for row in get("PHOTO", _NO_ENTRIES):
        photo, problem = read_photo(row[1], row[2])
        if problem:
            issues.append(ImportIssue(card.row_line(row), problem))
        if photo:
            record.photo = photo
            break
    if record.full_name is None:
        bare = all(data.split(b":", 1)[0].upper() in _STRUCTURAL for data in card.property_lines())
        reason = "empty card" if bare else "card has no name, e-mail, phone or organization"
        issues.append(ImportIssue(card.line, f"{reason}; skipped"))
        return None, version
    return record, version
