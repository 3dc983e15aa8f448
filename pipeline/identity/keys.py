"""The keys a record claims in an import (DESIGN.md section 4): its namespaced uid (its own, else
a synthetic one), its emails and E.164 phones; shared by planning, the photo forecast and the
re-import's card bookkeeping."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

from pipeline.identity.merge import KeyKind, record_emails, record_phones
from pipeline.identity.unchanged import CardKeys
from pipeline.limits import bounded_key
from pipeline.models import ContactRecord
from pipeline.normalize import fallback_name, name_key

E164 = re.compile(r"^\+[1-9]\d{5,14}$")


class Prepared(NamedTuple):
    """One record's claimed keys (stored on the contact it lands on), by kind in RANKS order.
    A named tuple: made up to three times per card of an import, and a frozen dataclass's
    __init__ (one object.__setattr__ per field) cost more than the fields' values."""

    record: int  # its index in the records planned
    uids: tuple[str, ...]  # namespaced: the record's own uid, else a synthetic one
    emails: tuple[str, ...]
    phones: tuple[str, ...]  # E.164 only
    name_fallback: bool  # uid-less with an email or phone: may fall back to its name-derived uid
    keyless_name: bool  # its only key is the name-derived uid
    kinds: tuple[tuple[KeyKind, tuple[str, ...]], ...]  # the three above, built once
    all_phones: tuple[str, ...]  # record_phones of the record, E.164 or not

    def by_kind(self) -> tuple[tuple[KeyKind, tuple[str, ...]], ...]:
        return self.kinds


def name_uid(ns: str, rec: ContactRecord) -> str:
    display = fallback_name(
        full_name=rec.full_name,
        given_name=rec.given_name,
        family_name=rec.family_name,
        nickname=rec.nickname,
        organization=rec.organization,
        phones=record_phones(rec),
    )
    base = (name_key(display) or display.casefold()) if display else ""
    # A profile URL (LinkedIn's only identifier) separates two connections with the same name.
    url = next((u.strip() for u in rec.urls if u and u.strip()), None)
    return bounded_key(ns, f"~name:{base}" + (f"|{url}" if url else ""))


def prepare(index: int, rec: ContactRecord, ns: str) -> Prepared | None:
    emails = record_emails(rec)
    phones = record_phones(rec)
    named = (rec.full_name, rec.given_name, rec.family_name, rec.nickname, rec.organization)
    if not emails and not phones and not any(v and v.strip() for v in named):
        return None  # nothing fallback_name could call it
    e164 = [p for p in phones if E164.match(p)]
    uid = (rec.source_uid or "").strip()
    keyless = not emails and not e164
    if uid:
        synthetic = bounded_key(ns, uid)
    elif emails:
        # Synthetic uids give every uid-less record a key in its source's namespace, so re-imports
        # find it and archiving can tell which sources still contain a contact.
        synthetic = bounded_key(ns, f"~email:{emails[0]}")
    elif e164:
        synthetic = f"{ns}~phone:{e164[0]}"
    else:
        synthetic = name_uid(ns, rec)
    uids, claimed, e164s = (synthetic,), tuple(emails), tuple(e164)
    return Prepared(
        record=index,
        uids=uids,
        emails=claimed,
        phones=e164s,
        name_fallback=not uid and not keyless,
        keyless_name=keyless and not uid,
        kinds=(("source-uid", uids), ("email", claimed), ("phone", e164s)),
        all_phones=tuple(phones),
    )


def probably_new(
    records: Sequence[ContactRecord], indexes: Iterable[int], known: Collection[str], *, source: str
) -> list[int]:
    """Which of these records no key in `known` (the user's key values) claims: the ones an
    import of `source` will most likely insert. A cheap forecast, made without the write lock so
    work for new contacts (photo thumbnails) can be done before it; `plan_import` decides."""
    ns = f"{source}:"
    out = []
    for i in indexes:
        prep = prepare(i, records[i], ns)
        if prep is not None and not any(
            v in known for v in (*prep.uids, *prep.emails, *prep.phones)
        ):
            out.append(i)
    return out


def card_keys(records: Sequence[ContactRecord], *, source: str) -> list[CardKeys]:
    """Each plannable record's uid and claimed keys, as `plan_import` would store them."""
    ns = f"{source}:"
    out = []
    for i, rec in enumerate(records):
        prep = prepare(i, rec, ns)
        if prep is not None:
            keys = tuple((kind, v) for kind, vs in prep.by_kind() for v in vs)
            fallback = name_uid(ns, rec) if prep.name_fallback else None
            out.append(CardKeys(i, prep.uids[0], keys, fallback))
    return out
