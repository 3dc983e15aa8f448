"""The feed's serialised events, remembered between renders (pipeline.feed.render builds them).

An event's bytes depend only on its item and the calendar settings in the key (nothing on
`today`), so they are kept between renders: after one change, a re-render serialises one event,
not every event of the book (icalendar's serialisation is most of a render's time). Module-level
memos of pure functions, not state: the same key always gives the same bytes, so nothing here can
be stale and pipeline/ stays free of I/O and clocks. Bounded: each is cleared when full.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from icalendar import Event

MEMO_LIMIT = 20_000
Held = tuple[str, dt.date, bytes] | None
_MEMO: dict[tuple[object, ...], Held] = {}
_MISSING: Held = ("", dt.date.min, b"")  # never a stored value: compared by identity

# Each folded content line by its unfolded text (folding is a pure function of the text and about
# a third of serialising an event): a changed event keeps most of its lines (UID, SUMMARY, URL,
# the alarm), so only the lines that changed are folded again.
_LINES: dict[str, bytes] = {}
_LINES_LIMIT = 50_000


def put(
    events: dict[str, tuple[dt.date, bytes]],
    key: tuple[object, ...],
    build: Callable[[], Event | None],
) -> None:
    """Add the event `build` makes (None: no event) to `events` by UID, built only if `key` is
    new. One lookup per item: a re-render of an unchanged book is mostly these."""
    held = _MEMO.get(key, _MISSING)
    if held is _MISSING:
        event = build()
        held = (
            None
            if event is None
            else (str(event["UID"]), event.decoded("DTSTART"), event_bytes(event))
        )
        if len(_MEMO) >= MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = held
    if held is not None:
        events[held[0]] = (held[1], held[2])


def event_bytes(event: Event) -> bytes:
    """Exactly `event.to_ical()`: icalendar builds the content lines, and Contentlines.to_ical
    is each non-empty line folded (Contentline.to_ical), joined and ended by CRLF."""
    out = []
    for line in event.content_lines():
        if not line:
            continue
        folded = _LINES.get(line)
        if folded is None:
            folded = line.to_ical()
            if len(_LINES) >= _LINES_LIMIT:
                _LINES.clear()
            _LINES[str(line)] = folded
        out.append(folded)
    return b"\r\n".join(out) + b"\r\n"
