"""A subprocess run the import benchmark can stop: wall and CPU time, peak memory, phase events.

Peak memory is VmHWM from /proc, polled while the child runs (it only grows), not ru_maxrss: on
Linux a child inherits, at exec, the high-water mark of the address space it was spawned from,
which here is the (large) benchmark process, so wait4's ru_maxrss would report that instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT


@dataclass
class ChildRun:
    """One `kith import` subprocess: wall time, peak RSS, exit code, phase events."""

    seconds: float
    cpu_seconds: float  # user + system time of the child itself (wait4)
    max_rss_mb: float
    code: int | None
    timed_out: bool
    stdout: str
    stderr: str
    events: list[dict[str, object]] = field(default_factory=list)
    stopped_at: float | None = None  # time.time() when the run was stopped

    def phase_seconds(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for e in self.events:
            if e["event"] == "end" and e["phase"] not in ("process", "import_file"):
                out[str(e["phase"])] = out.get(str(e["phase"]), 0.0) + float(e["seconds"])
        return out

    def running_phase(self) -> tuple[str, float] | None:
        """The innermost phase that started and never ended, and how long it had run when the
        run was stopped."""
        open_: dict[str, float] = {}
        for e in self.events:
            if e["event"] == "start":
                open_[str(e["phase"])] = float(e["wall"])
            else:
                open_.pop(str(e["phase"]), None)
        last = [(p, t) for p, t in open_.items() if p not in ("process", "import_file")]
        if not last or self.stopped_at is None:
            return None
        phase, started = max(last, key=lambda pt: pt[1])
        return phase, self.stopped_at - started

    def ended_at(self, phase: str) -> float | None:
        for e in self.events:
            if e["event"] == "end" and e["phase"] == phase:
                return float(e["wall"])
        return None

    def items(self, phase: str) -> int | None:
        for e in self.events:
            if e["event"] == "end" and e["phase"] == phase and "items" in e:
                return int(e["items"])
        return None


def _events(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def committed(events: list[dict[str, object]]) -> bool:
    """The contacts are stored: the write transaction closed and the follow-up passes began."""
    return any(
        e["event"] == "start" and e["phase"] in ("refresh_user", "refresh_suggestions", "_finish")
        for e in events
    )


def _hwm_mb(pid: int) -> float | None:
    """VmHWM: the peak resident set of the process's own address space (since its exec)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_child(
    args: list[str],
    env: dict[str, str],
    timeout: float,
    events: Path,
    hard_limit: float | None = None,
) -> ChildRun:
    """Run a command; poll its peak memory and whether it finished.

    Peak memory is VmHWM from /proc, read while it runs (it only grows). Not ru_maxrss: on Linux
    a child inherits, at exec, the high-water mark of the address space it was spawned from,
    which here is this (large) benchmark process. The run is stopped at `timeout` once its
    contacts are committed (so a re-import can still be measured), and at `hard_limit` whatever
    it is doing.
    """
    out_path, err_path = events.with_suffix(".out"), events.with_suffix(".err")
    hard = max(timeout, hard_limit or timeout)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=err, cwd=ROOT)
        timed_out = False
        stopped_at = None
        peak = 0.0
        while True:
            peak = max(peak, _hwm_mb(proc.pid) or 0.0)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - start
            if elapsed > hard or (elapsed > timeout and committed(_events(events))):
                timed_out = True
                peak = max(peak, _hwm_mb(proc.pid) or 0.0)
                stopped_at = time.time()
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01 if elapsed < timeout else 0.5)
        seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped above; keep Popen from waiting again
    events_seen = _events(events)
    # The child's own last word on its peak, when it got to say it (covers the final moments).
    reported = [float(e["hwm_mb"]) for e in events_seen if "hwm_mb" in e]
    return ChildRun(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_mb=max([peak, *reported]),
        code=None if timed_out else code,
        timed_out=timed_out,
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        events=events_seen,
        stopped_at=stopped_at,
    )
