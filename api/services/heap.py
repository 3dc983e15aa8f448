"""Keeping the garbage collector's full passes off an import's long-lived objects.

An import's parsed file, plan and rows are millions of objects that live as long as it and hold
no cycles. Every full collection walks everything not frozen, so after `gc.freeze` (which moves
the parsed file out of the way) each full pass during planning and writing walked the plan made
so far: 14 of them were 2.2 s of a 10 s first import of 50,000 cards. Young collections still
run (they collect the short-lived cycles of the event loop and the driver); full ones wait.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Young collections between two full ones while an import runs (CPython's default is 10).
FULL_COLLECTIONS_HELD = 1_000_000
# Allocations between two young collections (default 700): an import allocates millions of
# objects that live until its end or die by reference count, and each young pass walks the
# survivors of the last one.
YOUNG_HELD = 20_000


class _FullCollections:
    """Imports may overlap (background jobs): the first one in holds full collections off, the
    last one out restores the thresholds as they were."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.saved = gc.get_threshold()

    def hold(self) -> None:
        with self.lock:
            if not self.holders:
                self.saved = gc.get_threshold()
                young, middle, full = self.saved
                gc.set_threshold(max(young, YOUNG_HELD), middle, max(full, FULL_COLLECTIONS_HELD))
            self.holders += 1

    def release(self) -> None:
        with self.lock:
            self.holders -= 1
            if not self.holders:
                gc.set_threshold(*self.saved)


_full = _FullCollections()


@contextmanager
def full_collections_held() -> Iterator[None]:
    _full.hold()
    try:
        yield
    finally:
        _full.release()


@contextmanager
def parsed_heap_frozen() -> Iterator[None]:
    """The parsed file is millions of objects that live as long as the import and hold no
    cycles; every full collection the planning and writing trigger would walk them all again (a
    fifth of a 50,000-card import's time). `gc.freeze` keeps them out of the collector's way
    until the import is written; full collections wait too (above).

    A heap that was frozen already (`kith serve` freezes its start-up heap, api/app.py) stays
    frozen: `gc.unfreeze` cannot give back only the import's objects, and would undo the
    server's freeze. The import's objects are still freed by their reference counts."""
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        with full_collections_held():
            yield
    finally:
        if not frozen_before:
            gc.unfreeze()
