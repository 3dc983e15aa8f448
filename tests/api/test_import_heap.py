"""An import holds the collector's full passes off (and makes young ones rarer) while it runs, and overlapping imports give
the thresholds back as they found them (api/services/heap.py)."""

from __future__ import annotations

import gc

from api.services.heap import (
    FULL_COLLECTIONS_HELD,
    YOUNG_HELD,
    full_collections_held,
    parsed_heap_frozen,
)


def test_overlapping_imports_restore_the_thresholds_only_when_the_last_one_ends() -> None:
    before = gc.get_threshold()
    first, second = full_collections_held(), full_collections_held()
    first.__enter__()
    assert gc.get_threshold()[2] >= FULL_COLLECTIONS_HELD
    assert gc.get_threshold()[0] >= YOUNG_HELD, "young passes are rarer too"
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] >= FULL_COLLECTIONS_HELD  # the second import still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


def test_a_failed_import_gives_the_thresholds_back() -> None:
    before = gc.get_threshold()
    try:
        with full_collections_held():
            raise RuntimeError("the import failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before


def test_an_import_leaves_a_heap_frozen_before_it_frozen_and_any_other_unfrozen() -> None:
    assert gc.get_freeze_count() == 0
    with parsed_heap_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0, "a test process, a CLI import: given back"
    gc.freeze()  # as `kith serve` does after start-up
    try:
        frozen = gc.get_freeze_count()
        with parsed_heap_frozen():
            pass
        assert gc.get_freeze_count() > frozen // 2, "the server's start-up heap stays frozen"
    finally:
        gc.unfreeze()
