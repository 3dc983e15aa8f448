"""`kith import` with phase timers: `python -m bench.import_child EVENTS_FILE kith-import-args...`.

It runs the real command line (`api.cli.main(["import", ...])`, so the real
`api.services.imports.import_file`) after wrapping the service's phases, and appends one JSON line
per phase start and end to EVENTS_FILE as it goes. When the parent has to stop a run that takes
too long, the file still says which phase it was in and how long the finished ones took.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_events: Any = None
_t0 = time.perf_counter()


def _emit(**event: object) -> None:
    event["t"] = round(time.perf_counter() - _t0, 4)
    event["wall"] = time.time()  # the parent compares it with the moment it stopped the run
    with _lock:
        _events.write(json.dumps(event) + "\n")
        _events.flush()


def _hwm() -> dict[str, float]:
    """This process's peak resident set (VmHWM), in MB, when /proc has it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return {"hwm_mb": int(line.split()[1]) / 1024}
    except OSError:
        pass
    return {}


def _sized(result: object) -> dict[str, object]:
    return {"items": len(result)} if isinstance(result, list) else {}


def _wrap_sync(module: Any, name: str) -> None:
    inner: Callable[..., Any] | None = getattr(module, name, None)
    if inner is None:  # an older tree (the bench also measures the code it is compared with)
        return

    @functools.wraps(inner)
    def timed(*args: Any, **kwargs: Any) -> Any:
        _emit(event="start", phase=name)
        start = time.perf_counter()
        result = inner(*args, **kwargs)
        _emit(event="end", phase=name, seconds=time.perf_counter() - start, **_sized(result))
        return result

    setattr(module, name, timed)


def _wrap_async(module: Any, name: str) -> None:
    inner: Callable[..., Any] | None = getattr(module, name, None)
    if inner is None:
        return

    @functools.wraps(inner)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        _emit(event="start", phase=name)
        start = time.perf_counter()
        result = await inner(*args, **kwargs)
        _emit(event="end", phase=name, seconds=time.perf_counter() - start, **_sized(result))
        return result

    setattr(module, name, timed)


def instrument() -> None:
    import importlib

    from api.services import imports, merges, strength

    try:
        import_plan: Any = importlib.import_module("api.services.import_plan")
    except ImportError:  # before issue 13's import_plan: the service planned on its own
        import_plan = None
    _wrap_sync(imports, "parse_export")
    for name in ("import_file", "prepare_photos", "plan_records", "apply_import", "remember"):
        _wrap_async(imports, name)
    if import_plan is None:
        _wrap_sync(imports, "plan_import")
        _wrap_async(imports, "load_existing")
    else:
        for name in ("plan_import", "card_keys", "select_kept"):
            _wrap_sync(import_plan, name)
        for name in ("load_book", "contact_states", "key_owners", "source_contacts"):
            _wrap_async(import_plan, name)
    try:  # the batched path of a large vCard export (issue 13)
        import_stream: Any = importlib.import_module("api.services.import_stream")
        stream: Any = importlib.import_module("pipeline.formats.stream")
    except ImportError:
        import_stream = stream = None
    if import_stream is not None:
        _wrap_sync(stream, "read_prepared")  # parsing, one run of cards at a time
        for name in ("plan_records", "apply_import", "remember_pairs", "gone_from_export"):
            _wrap_async(import_stream, name)
    _wrap_async(imports, "_finish")
    _wrap_sync(merges, "merge_suggestions")
    _wrap_async(merges, "refresh_suggestions")
    _wrap_async(strength, "refresh_user")


def main() -> int:
    global _events
    events_path, *args = sys.argv[1:]
    _events = open(events_path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    _emit(event="start", phase="process")
    instrument()
    from api.cli import main as kith

    code = kith(args)
    _emit(event="end", phase="process", seconds=time.perf_counter() - _t0, code=code, **_hwm())
    return code


if __name__ == "__main__":
    sys.exit(main())
