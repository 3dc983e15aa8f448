"""What the nightly rescoring reads and writes in bulk: every contact's schedule inputs with its
stored derived columns and score state, the fingerprint of each contact's interactions, the
histories of the contacts that changed, and the new values (pipeline.strength.incremental).

Plain tuples straight from the driver (api.db.bulk.fetch_tuples): for 500,000 interactions a
Piccolo dict per row, with an INTEGER column converted through Decimal, was most of the run.
Call inside write_transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from api.db import engine_name
from api.db.bulk import execute_many, fetch_tuples, update_many
from api.db.tables import Contact
from pipeline.strength.circles import Circle as CircleRule
from pipeline.strength.daylog import DayLog
from pipeline.strength.incremental import ScoreState
from pipeline.strength.plan import ContactState, Derived, History, StoredReminder
from pipeline.strength.rows import Row

_CODEC = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(ScoreState)
_LOG_CODEC = msgspec.msgpack.Encoder()
_LOG_DECODER = msgspec.msgpack.Decoder(DayLog)


def encode_state(state: ScoreState) -> str:
    return _CODEC.encode(state).decode()


def decode_state(text: str | None) -> ScoreState | None:
    """None for a missing or unreadable state: the contact is then scored from its history."""
    if not text:
        return None
    try:
        return _DECODER.decode(text)
    except msgspec.DecodeError:
        return None


def encode_log(log: DayLog) -> bytes:
    return _LOG_CODEC.encode(log)


def decode_log(data: bytes | None) -> DayLog | None:
    """None for a missing or unreadable log: the contact is then scored from its history."""
    if not data:
        return None
    try:
        return _LOG_DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def version(count: int, max_id: int | None) -> str:
    """The fingerprint of a contact's interactions that ScoreState.version holds: any insert,
    delete or move changes the count or the newest id."""
    return "" if not count else f"{count}:{max_id}"


def _utc(value: Any) -> dt.datetime | None:
    """A timestamptz as either driver returns it from an expression (SQLite: Piccolo's text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    at = dt.datetime.fromisoformat(value)
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def _when(value: Any) -> dt.datetime:
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)  # Piccolo writes "+00:00"
    if not isinstance(value, dt.datetime):
        raise ValueError("an interaction's times are never NULL")
    return value


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


_STATE_COLUMNS = (
    "id, circle, kin, cadence_override_days, archived, entered_on, created_at, updated_at, "
    "score, health, due_on, last_at, last_kind, not_before, score_state"
)


async def book_states(user_id: int) -> list[ContactState]:
    """Every contact of the user with updated_at, the stored derived values and score state."""
    rows = await fetch_tuples(f'SELECT {_STATE_COLUMNS} FROM contact WHERE "user" = ?', user_id)
    return [
        ContactState(
            id=r[0],
            circle_id=r[1],
            kin=bool(r[2]),
            cadence_override_days=r[3],
            archived=bool(r[4]),
            entered_on=r[5],
            created_at=r[6],
            updated_at=r[7],
            derived=Derived(float(r[8]), r[9], r[10], r[11], r[12], r[13]),
            score_state=decode_state(r[14]),
        )
        for r in rows
    ]


_WITH_CIRCLE = (
    "SELECT c.id, c.circle, c.kin, c.cadence_override_days, c.archived, c.entered_on, "
    "c.created_at, r.name, r.cadence_days, r.slack, r.tier, r.kin{} FROM contact c "
    'LEFT JOIN circle r ON r.id = c.circle{} WHERE c.id = ? AND c."user" = ?'
)
_CONTACT_WITH_CIRCLE = _WITH_CIRCLE.format("", "")
# The same read for logging an interaction: the id of the interaction stored under the
# idempotency key (NULL if none), the fingerprint of the contact's interactions (from the
# interaction(contact) index alone), its score state, day log and reminder row (at most one:
# unique per contact). Asked before every logged interaction, inside the user's lock, so in
# one round trip.
_FOR_LOGGING = _WITH_CIRCLE.format(
    ', (SELECT i.id FROM interaction i WHERE i."user" = ? AND i.dedup_key = ?)'
    ", (SELECT count(*) FROM interaction i WHERE i.contact = c.id)"
    ", (SELECT max(i.id) + 0 FROM interaction i WHERE i.contact = c.id)"
    ", c.score_state, (SELECT d.data FROM day_log d WHERE d.contact = c.id)"
    ", m.id, m.day, m.uid, m.sequence, m.state, m.changed_at",
    " LEFT JOIN reminder m ON m.contact = c.id",
)
# On SQLite every typed column as an expression (a sub-select's column has its column's type):
# values come back as stored, without the connection's (Piccolo's) converter by declared type,
# which took ~40 of this read's ~100 us; _with_circle and _reminder parse the dates and times.
_FOR_LOGGING_SQLITE = (
    "SELECT c.id + 0, c.circle + 0, c.kin + 0, c.cadence_override_days + 0, c.archived + 0, "
    "c.entered_on || '', c.created_at || '', r.name, r.cadence_days + 0, r.slack, r.tier + 0, "
    'r.kin + 0, (SELECT i.id + 0 FROM interaction i WHERE i."user" = ? AND i.dedup_key = ?)'
    ", (SELECT count(*) FROM interaction i WHERE i.contact = c.id)"
    ", (SELECT max(i.id) + 0 FROM interaction i WHERE i.contact = c.id)"
    ", c.score_state, (SELECT d.data FROM day_log d WHERE d.contact = c.id)"
    ", m.id + 0, m.day || '', m.uid, m.sequence + 0, m.state, m.changed_at || '' FROM contact c "
    "LEFT JOIN circle r ON r.id = c.circle LEFT JOIN reminder m ON m.contact = c.id "
    'WHERE c.id = ? AND c."user" = ?'
)


async def contact_with_circle(
    user_id: int, contact_id: int
) -> tuple[ContactState, dict[int, CircleRule]] | None:
    """One contact's schedule inputs and the rule of its circle (if any), in one query: all
    that rescoring that contact needs besides its history and the reminders."""
    rows = await fetch_tuples(_CONTACT_WITH_CIRCLE, contact_id, user_id)
    return _with_circle(rows[0]) if rows else None


@dataclass(frozen=True, slots=True)
class ForLogging:
    """What logging an interaction reads of its contact first (`contact_for_logging`)."""

    loaded: tuple[ContactState, dict[int, CircleRule]]
    held_id: int | None  # the interaction already stored under the idempotency key
    count: int  # the contact's interactions, and the newest one's id (ScoreState.version)
    max_id: int | None
    score_state: ScoreState | None
    day_log: DayLog | None
    reminders: list[StoredReminder]  # the contact's reminder row, if it has one


async def contact_for_logging(user_id: int, contact_id: int, key: str | None) -> ForLogging | None:
    """`contact_with_circle`, the id of the user's interaction stored under `key` and what
    rescoring the contact without its history needs; None if there is no such contact."""
    sql = _FOR_LOGGING if engine_name() == "postgres" else _FOR_LOGGING_SQLITE
    rows = await fetch_tuples(sql, user_id, key, contact_id, user_id)
    if not rows:
        return None
    r = rows[0]
    return ForLogging(
        _with_circle(r),
        None if r[12] is None else int(r[12]),
        int(r[13]),
        None if r[14] is None else int(r[14]),
        decode_state(r[15]),
        decode_log(r[16]),
        [] if r[17] is None else [_reminder(r[0], r[17:])],
    )


def _reminder(contact_id: int, r: Sequence[Any]) -> StoredReminder:
    day, changed_at = _day(r[1]), _utc(r[5])
    assert day is not None and changed_at is not None  # NOT NULL columns
    return StoredReminder(int(r[0]), contact_id, day, r[2], int(r[3]), r[4], changed_at)


def _with_circle(r: Sequence[Any]) -> tuple[ContactState, dict[int, CircleRule]]:
    created_at = _utc(r[6])
    assert created_at is not None  # NOT NULL
    state = ContactState(r[0], r[1], bool(r[2]), r[3], bool(r[4]), _day(r[5]), created_at)
    if r[1] is None or r[7] is None:
        return state, {}
    rule = CircleRule(r[7], int(r[8]), float(r[9]), int(r[10]), bool(r[11]))
    return state, {int(r[1]): rule}


async def versions(user_id: int) -> dict[int, str]:
    """The fingerprint of each contact's interactions (contacts without any are absent). Read
    from the interaction(contact) index alone: no row of the table is visited."""
    rows = await fetch_tuples(
        "SELECT contact + 0, count(*), max(id) + 0 FROM interaction WHERE contact IN "
        '(SELECT id FROM contact WHERE "user" = ?) GROUP BY contact',
        user_id,
    )
    return {int(cid): version(int(n), int(top)) for cid, n, top in rows}


# Expressions, not bare columns: SQLite then hands back its own values without Piccolo's
# per-column converters (the `+ 0` and `|| ''` are no-ops on both engines).
_EVENTS = (
    "SELECT contact + 0, id + 0, kind || '', at || '', attendee_count + 0, direction || '', "
    "until, created_at || '' FROM interaction"
)
_EVENTS_PG = (
    "SELECT contact, id, kind, at, attendee_count, direction, until, created_at FROM interaction"
)


def _histories(rows: Iterable[Sequence[Any]]) -> dict[int, History]:
    # Only the latest recording time matters to scoring (changed since publication, the
    # ScoreState): SQLite's are Piccolo's UTC text (`str()` of an aware UTC datetime), whose
    # text order is time order, so only the latest is parsed.
    books: dict[int, tuple[list[Row], list[Any]]] = {}
    parse = dt.datetime.fromisoformat
    for cid, iid, kind, at, attendees, direction, until, created in rows:
        book = books.get(cid)
        if book is None:
            book = books[cid] = ([], [created, 0, iid])
        when = parse(at) if at.__class__ is str else _when(at)
        day = None if until is None else _day(until)
        book[0].append((when, kind, attendees, direction or None, f"id:{iid}", day))
        seen = book[1]
        if created > seen[0]:
            seen[0] = created
        seen[1] += 1
        if iid > seen[2]:
            seen[2] = iid
    return {
        cid: History(
            recorded_at=[_when(seen[0])],
            version=version(seen[1], seen[2]),
            rows=events,
            distinct_keys=True,  # "id:<interaction id>", one per row
        )
        for cid, (events, seen) in books.items()
    }


async def histories(
    user_id: int, contact_ids: Sequence[int] | None
) -> tuple[dict[int, History], int]:
    """The histories of these contacts (None: all of the user's), in one query; and the number
    of interactions read."""
    select = _EVENTS_PG if engine_name() == "postgres" else _EVENTS
    if contact_ids is None:
        rows = await fetch_tuples(f'{select} WHERE "user" = ?', user_id)
    elif not contact_ids:
        return {}, 0
    else:
        rows = []
        ids = list(contact_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" for _ in chunk)
            rows += await fetch_tuples(f"{select} WHERE contact IN ({marks})", *chunk)
    return _histories(rows), len(rows)


_DERIVED = ("score", "health", "due_on", "last_at", "last_kind", "not_before")


_SAVE_LOG = (
    'INSERT INTO day_log ("user", contact, data) VALUES (?, ?, ?)'
    " ON CONFLICT (contact) DO UPDATE SET data = excluded.data"
)


async def save(
    user_id: int,
    derived: Mapping[int, Derived],
    states: Mapping[int, ScoreState],
    logs: Mapping[int, DayLog],
) -> None:
    """New derived columns, score states and day logs: one statement for the contacts with
    both derived columns and state (a first run, a contact rescored after an interaction), one
    for each kind of the rest, one for the logs."""
    await execute_many(_SAVE_LOG, [(user_id, cid, encode_log(log)) for cid, log in logs.items()])
    both = [cid for cid in derived if cid in states]
    rows = [[*_derived_values(derived[cid]), encode_state(states[cid]), cid] for cid in both]
    await update_many(Contact, (*_DERIVED, "score_state"), rows)
    only = [[*_derived_values(d), cid] for cid, d in derived.items() if cid not in states]
    await update_many(Contact, _DERIVED, only)
    rest = [[encode_state(s), cid] for cid, s in states.items() if cid not in derived]
    await update_many(Contact, ("score_state",), rest)


def _derived_values(d: Derived) -> list[Any]:
    return [d.score, d.health, d.due_on, d.last_at, d.last_kind, d.not_before]
