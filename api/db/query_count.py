"""A test-only count of the statements sent to the database by the code under a `counting()`.

The engines call `record()` for every statement; it costs one context-variable read when nobody
counts. Tests use it to hold the hot paths to a constant number of queries, whatever the size
of the book (the count is per task tree: child tasks copy the context and share the counter).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


_current: contextvars.ContextVar[Counter | None] = contextvars.ContextVar(
    "kith_query_counter", default=None
)


def record(sql: str) -> None:
    counter = _current.get()
    if counter is not None:
        counter.statements.append(sql)


@contextmanager
def counting() -> Iterator[Counter]:
    counter = Counter()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)
