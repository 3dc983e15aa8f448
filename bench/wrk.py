"""Debian's `wrk` (a C load generator, so the client is never the bottleneck): install, run,
parse. `make bench` installs it with apt-get when it is missing and we are root."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WRK = "/usr/bin/wrk"
BENCH = Path(__file__).resolve().parent


def ensure_wrk() -> str:
    found = shutil.which("wrk") or (WRK if os.path.exists(WRK) else None)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"], env=env, check=True, capture_output=True
        )
        found = shutil.which("wrk")
        if found:
            return found
    raise RuntimeError("wrk is not installed: apt-get install wrk (Debian) and run again")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    latency_ms: dict[int, float]  # percentile -> ms (50, 75, 90, 99)
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    output: str
    extra: dict[str, str] = field(default_factory=dict)  # "key: value" lines a script printed

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


def parse(output: str) -> WrkResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if done is None:
        raise RuntimeError(f"wrk printed no summary:\n{output[-2000:]}")
    requests = int(done.group(1))
    seconds = _ms(done.group(2) + done.group(3)) / 1000
    latency = {
        int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+([\d.]+(?:us|ms|s|m))", output, re.M)
    }
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, sock.groups()), strict=True))
        if sock
        else {}
    )
    extra = dict(re.findall(r"^kith-(\w[\w-]*): (.*)$", output, re.M))
    return WrkResult(
        requests=requests,
        seconds=seconds,
        rps=requests / seconds if seconds else 0.0,
        latency_ms=latency,
        non_2xx_3xx=int(non.group(1)) if non else 0,
        socket_errors=errors,
        output=output,
        extra=extra,
    )


def run(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: str | None = None,
    env: dict[str, str] | None = None,
    timeout_s: int = 30,
) -> WrkResult:
    """`wrk --latency`; `script` names a Lua file in bench/ (its `done` may print kith-* lines)."""
    args = [
        ensure_wrk(),
        *("-t", str(max(1, min(threads, connections)))),
        *("-c", str(connections)),
        *("-d", f"{max(1, round(seconds))}s"),
        *("--timeout", f"{timeout_s}s"),
        "--latency",
    ]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script:
        args += ["-s", str(BENCH / script)]
    args.append(url)
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=seconds + timeout_s + 60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-1000:]}")
    return parse(done.stdout + done.stderr)


def mixed(base: str, *, seconds: float, clients: int, accounts: Path, ledger: Path) -> WrkResult:
    """bench/mixed.lua against a signed-in `kith serve`: one connection per thread, every write
    it sends written to a per-thread ledger in `ledger` (the lost-writes check reads it)."""
    return run(
        base + "/",
        seconds=seconds,
        connections=clients,
        threads=clients,
        script="mixed.lua",
        env={
            "KITH_WRK_ACCOUNTS": str(accounts),
            "KITH_WRK_LEDGER": str(ledger),
            "KITH_WRK_THREADS": str(clients),
        },
        timeout_s=60,
    )
