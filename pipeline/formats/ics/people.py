"""Who was at a meeting: ORGANIZER and ATTENDEE read into the other people, the head count."""

from __future__ import annotations

import re
from dataclasses import dataclass

from icalendar import Component, vCalAddress

from pipeline.normalize import collapse_ws, normalize_email

# RFC 5545 section 3.2.3: CUTYPE values that are not a person one meets. GROUP is a mailing
# list, not a person, and its size is unknown.
_NOT_PEOPLE = {"RESOURCE", "ROOM", "GROUP"}
# RFC 5545 section 3.2.12: the participant is not coming (DELEGATED: someone else went instead,
# and the delegate is listed as an attendee of their own).
_ABSENT = {"DECLINED", "DELEGATED"}
# Google lists rooms as attendees with addresses in this domain, sometimes without CUTYPE.
_ROOM_DOMAINS = ("resource.calendar.google.com",)
_LAST_FIRST = re.compile(r"^([^,\d@]+?),\s*([^,\d@]+)$")
# "Smith, Jr." and "Acme, Inc." are not "Family, Given".
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "md", "inc", "ltd", "llc", "gmbh", "ag", "sa"}


@dataclass(frozen=True, slots=True)
class Attendance:
    """The people of one (occurrence of an) event, seen from the calendar's owner."""

    emails: tuple[str, ...]  # the others, casefolded: organizer first, then attendees in order
    names: tuple[tuple[str, str], ...]  # (email, display name) where a CN gave one
    count: int  # participants including the user (and announced extra guests)
    user_declined: bool


def _param(address: vCalAddress, name: str) -> str:
    value = address.params.get(name)
    return str(value).strip().upper() if value is not None else ""


def _addresses(event: Component, name: str) -> list[vCalAddress]:
    value = event.get(name)
    values = value if isinstance(value, list) else [value] if value is not None else []
    return [v for v in values if isinstance(v, vCalAddress)]


def _email(address: vCalAddress) -> str | None:
    """The mailto address, else the RFC 6638 EMAIL parameter, else a CN that is an address."""
    for candidate in (str(address), address.params.get("EMAIL"), _clean_cn(address, raw=True)):
        email = normalize_email(str(candidate)) if candidate else None
        if email:
            return email
    return None


def _clean_cn(address: vCalAddress, *, raw: bool = False) -> str | None:
    """The display name of a CN parameter, without the wrapping quotes some clients add.

    Exchange CDO writes CN="'someone@example.com'"; Lotus Notes writes hierarchical names
    "Name/OrgUnit"; Exchange writes "Family, Given" (quoted, RFC 5545 section 3.2: a parameter
    value with a comma must be quoted).
    """
    value = address.params.get("CN")
    name = collapse_ws(str(value).strip().strip("\"'").strip()) if value is not None else None
    if not name or raw:
        return name
    if normalize_email(name):
        return None
    if "/" in name and not name.startswith("/"):
        name = name.split("/", 1)[0].strip()
    match = _LAST_FIRST.match(name)
    given = match.group(2).strip().rstrip(".").casefold() if match else ""
    if match and given not in _SUFFIXES and len(match.group(1).split()) <= 2:
        name = f"{match.group(2).strip()} {match.group(1).strip()}"
    return name or None


def _guests(address: vCalAddress) -> int:
    raw = _param(address, "X-NUM-GUESTS")
    return int(raw) if raw.isdigit() else 0


def read_attendance(event: Component, own_emails: frozenset[str]) -> Attendance:
    """The people present at `event`, skipping absentees, rooms and the user's own addresses.

    An ATTENDEE line decides over an ORGANIZER line for the same address: an organizer who
    declined their own meeting is not counted.
    """
    others: dict[str, str | None] = {}
    skipped: set[str] = set()
    unaddressed = 0
    guests = 0
    user_declined = False
    for address in _addresses(event, "ATTENDEE"):
        email = _email(address)
        absent = _param(address, "PARTSTAT") in _ABSENT
        if email in own_emails:
            user_declined = user_declined or absent
            continue
        thing = _param(address, "CUTYPE") in _NOT_PEOPLE or (
            email is not None and email.endswith(_ROOM_DOMAINS)
        )
        if absent or thing or _param(address, "ROLE") == "NON-PARTICIPANT":
            if email:
                skipped.add(email)
            continue
        guests += _guests(address)
        if email is None:
            unaddressed += 1
        elif email not in others or others[email] is None:
            others[email] = _clean_cn(address)
    organizers: dict[str, str | None] = {}
    for address in _addresses(event, "ORGANIZER")[:1]:
        email = _email(address)
        if email and email not in own_emails and email not in skipped:
            organizers[email] = _clean_cn(address) or others.get(email)
    people = {**organizers, **{k: v for k, v in others.items() if k not in organizers}}
    return Attendance(
        emails=tuple(people),
        names=tuple((email, name) for email, name in people.items() if name),
        count=1 + len(people) + unaddressed + guests,
        user_declined=user_declined,
    )
