"""Line-level reading of an iCalendar text: unfolding, line numbers and VEVENT blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.models import ImportIssue

# RFC 5545 section 3.1: lines end in CRLF, but real exports use bare LF, bare CR and even
# CR CR LF (iOS); str.splitlines() would also split on U+2028 and friends inside values.
_BREAK = re.compile(r"\r\n|\r|\n")
_NAME = re.compile(r"^([A-Za-z0-9-]+)")


@dataclass(frozen=True, slots=True)
class Line:
    """One unfolded content line and the 1-based physical line it starts on."""

    number: int
    text: str

    @property
    def name(self) -> str:
        """The property name, upper-cased ('' when the line has none)."""
        match = _NAME.match(self.text)
        return match.group(1).upper() if match else ""

    def begins(self) -> str | None:
        return _component(self.text, "BEGIN")

    def ends(self) -> str | None:
        return _component(self.text, "END")


@dataclass(slots=True)
class Block:
    """A component as found in the file (BEGIN and END lines included, END possibly repaired)."""

    line: int
    lines: list[Line] = field(default_factory=list)

    def text(self) -> str:
        return "\r\n".join(line.text for line in self.lines)

    def lines_of(self, name: str) -> list[int]:
        """Every line that holds property `name`."""
        return [line.number for line in self.lines if line.name == name.upper()]

    def line_of(self, name: str | None, fragment: str = "") -> int:
        """Where property `name` (or any line containing `fragment`) sits, else the block start."""
        for line in self.lines:
            if name is not None and line.name == name.upper():
                if not fragment or fragment in line.text:
                    return line.number
            elif name is None and fragment and fragment in line.text:
                return line.number
        return self.line


@dataclass(slots=True)
class CalendarScan:
    """What a whole file holds: calendar-level properties, time zones, events, structure issues."""

    has_calendar: bool = False
    properties: list[Line] = field(default_factory=list)
    timezones: list[Block] = field(default_factory=list)
    events: list[Block] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)

    def property(self, name: str) -> str | None:
        """The value of the first calendar-level property `name` (e.g. X-WR-CALNAME)."""
        for line in self.properties:
            if line.name == name and ":" in line.text:
                return line.text.split(":", 1)[1].strip()
        return None


def _component(text: str, keyword: str) -> str | None:
    head, sep, value = text.partition(":")
    if sep and head.strip().upper() == keyword:
        return value.strip().upper()
    return None


def unfold(text: str) -> list[Line]:
    """Logical lines: a line starting with a space or tab continues the previous one.

    RFC 5545 section 3.1 removes the line break and exactly one whitespace character, so a CN
    folded as "Sahaja\\n  Lal" keeps one space. Blank lines are dropped (they are not content
    lines) but still counted, so line numbers match what an editor shows.
    """
    starts: list[int] = []
    parts: list[list[str]] = []  # joined once at the end: a long folded value stays linear
    for index, raw in enumerate(_BREAK.split(text), start=1):
        if raw[:1] in (" ", "\t") and parts:
            parts[-1].append(raw[1:])
        elif raw.strip():
            starts.append(index)
            parts.append([raw])
    return [Line(number, "".join(pieces)) for number, pieces in zip(starts, parts, strict=True)]


def scan(text: str) -> CalendarScan:
    """Split a calendar into its parts, repairing VEVENTs that never end (with an issue each)."""
    result = CalendarScan()
    lines = unfold(text)
    stack: list[str] = []  # components open outside any VEVENT/VTIMEZONE block
    block: Block | None = None
    kind = ""
    nested: list[str] = []  # components open inside the block (VALARM, STANDARD, ...)

    def finish(reason: str, at: int) -> None:
        nonlocal block
        if block is None:
            return
        if reason:
            # Close what is open so icalendar still reads the properties seen so far.
            result.issues.append(ImportIssue(block.line, f"{kind} has no END:{kind} ({reason})"))
            block.lines.extend(Line(at, f"END:{name}") for name in reversed(nested))
            block.lines.append(Line(at, f"END:{kind}"))
        (result.events if kind == "VEVENT" else result.timezones).append(block)
        block = None
        nested.clear()

    for line in lines:
        begin, end = line.begins(), line.ends()
        if block is not None:
            if begin == "VEVENT" or end == "VCALENDAR":
                finish(f"read up to line {line.number}", line.number)
            elif end == kind:
                block.lines.extend(Line(line.number, f"END:{name}") for name in reversed(nested))
                nested.clear()
                block.lines.append(line)
                finish("", line.number)
                continue
            else:
                if begin:
                    nested.append(begin)
                elif end and nested and nested[-1] == end:
                    nested.pop()
                block.lines.append(line)
                continue
        if begin in ("VEVENT", "VTIMEZONE"):
            block, kind = Block(line.number, [line]), begin
        elif begin:
            result.has_calendar = result.has_calendar or begin == "VCALENDAR"
            stack.append(begin)
        elif end:
            if end in stack:
                del stack[len(stack) - 1 - stack[::-1].index(end) :]
        elif stack == ["VCALENDAR"]:
            result.properties.append(line)
    finish("the file ends first", lines[-1].number if lines else 1)
    return result
