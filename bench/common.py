"""Shared plumbing: sizes and env knobs, paths, databases, and a `kith serve` subprocess."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import socket
import statistics
import subprocess
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from api import db
from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
KITH = str(ROOT / ".venv" / "bin" / "kith")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SECRET = "bench-secret-key-not-for-production-use-0123456789"
PASSWORD = "correct-horse-battery"
SECTIONS = ("queries", "http", "imports", "strength", "feed", "load", "nightly")


def _env_int(name: str, default: int, scale: float = 1.0) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else max(1, int(default * scale))


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw else default


@dataclass(frozen=True)
class Config:
    """Every size and duration; each has an env knob (KITH_BENCH_*) to scale a run down."""

    cards: int = 50_000
    contacts: int = 5_000
    interactions: int = 500_000
    log_calls: int = 200
    reminders: int = 500
    feed_seconds: float = 3.0  # per kind of request per round; three kinds, three rounds
    feed_rounds: int = 3
    feed_concurrency: int = 8
    http_seconds: float = 10.0  # per path (wrk), after a 1 s warm-up
    http_connections: int = 20
    query_small: int = 10  # the books whose hot-path query counts must be equal
    query_large: int = 5_000
    load_seconds: float = 60.0
    load_baseline_seconds: float = 10.0
    clients: int = 50
    load_users: int = 10
    load_contacts: int = 300  # per load-test user
    import_timeout: float = 120.0
    pg: bool = True
    pg_url: str | None = None  # an existing server; otherwise scripts/pg-cluster.sh starts one
    pg_workers: int = 3
    pg_pools: tuple[int, ...] = (2, 5, 20)  # bench/pool.py sweeps these and the default
    pool_seconds: float = 15.0
    nightly_users: int = 200
    nightly_cards: int = 500
    seed: int = 0
    sections: tuple[str, ...] = SECTIONS
    out_dir: Path = ROOT / "bench" / "out"
    results: Path = ROOT / "bench" / "results.json"
    keep: bool = False  # keep the run folder (databases, logs) for inspection

    @classmethod
    def from_env(cls) -> Config:
        scale = _env_float("KITH_BENCH_SCALE", 1.0)
        only = os.environ.get("KITH_BENCH_ONLY", "")
        return cls(
            cards=_env_int("KITH_BENCH_CARDS", 50_000, scale),
            contacts=_env_int("KITH_BENCH_CONTACTS", 5_000, scale),
            interactions=_env_int("KITH_BENCH_INTERACTIONS", 500_000, scale),
            log_calls=_env_int("KITH_BENCH_LOG_CALLS", 200),
            reminders=_env_int("KITH_BENCH_REMINDERS", 500, scale),
            feed_seconds=_env_float("KITH_BENCH_FEED_SECONDS", 3.0),
            http_seconds=_env_float("KITH_BENCH_HTTP_SECONDS", 10.0),
            http_connections=_env_int("KITH_BENCH_HTTP_CONNECTIONS", 20),
            query_large=_env_int("KITH_BENCH_QUERY_CONTACTS", 5_000),
            load_seconds=_env_float("KITH_BENCH_LOAD_SECONDS", 60.0),
            load_baseline_seconds=_env_float("KITH_BENCH_LOAD_BASELINE_SECONDS", 10.0),
            clients=_env_int("KITH_BENCH_CLIENTS", 50),
            load_users=_env_int("KITH_BENCH_LOAD_USERS", 10),
            load_contacts=_env_int("KITH_BENCH_LOAD_CONTACTS", 300, scale),
            import_timeout=_env_float("KITH_BENCH_IMPORT_TIMEOUT", 120.0),
            pg=os.environ.get("KITH_BENCH_PG", "1") not in {"0", "no", "false"},
            pg_url=os.environ.get("KITH_BENCH_PG_URL") or None,
            pg_workers=_env_int("KITH_BENCH_PG_WORKERS", 3),
            pg_pools=tuple(
                int(n) for n in os.environ.get("KITH_BENCH_PG_POOLS", "2,5,20").split(",") if n
            ),
            pool_seconds=_env_float("KITH_BENCH_POOL_SECONDS", 15.0),
            nightly_users=_env_int("KITH_BENCH_NIGHTLY_USERS", 200, scale),
            nightly_cards=_env_int("KITH_BENCH_NIGHTLY_CARDS", 500, scale),
            seed=int(os.environ.get("KITH_BENCH_SEED", "0")),
            sections=tuple(s for s in only.split(",") if s) or SECTIONS,
            keep=os.environ.get("KITH_BENCH_KEEP", "0") not in {"0", "no", "false", ""},
        )

    def quick(self) -> Config:
        """BENCH_QUICK=1: every section at a tenth of its size and a few seconds per HTTP
        figure; the figures are noisier, the ratios still comparable."""
        return replace(
            self,
            cards=5_000,
            contacts=500,
            interactions=50_000,
            log_calls=50,
            reminders=100,
            feed_seconds=1.0,
            feed_rounds=1,
            http_seconds=3.0,
            load_seconds=10.0,
            load_baseline_seconds=3.0,
            pool_seconds=4.0,
            query_large=1_000,
            import_timeout=60.0,
        )

    def toy(self) -> Config:
        """Seconds, not minutes: what the smoke test runs to prove the code paths work."""
        return replace(
            self,
            cards=200,
            contacts=30,
            interactions=600,
            log_calls=5,
            reminders=12,
            feed_seconds=0.4,
            feed_rounds=1,
            feed_concurrency=2,
            http_seconds=1.0,
            http_connections=4,
            query_large=40,
            load_seconds=2.0,
            load_baseline_seconds=0.5,
            pool_seconds=0.5,
            pg_pools=(),
            clients=4,
            load_users=2,
            load_contacts=12,
            import_timeout=60.0,
            nightly_users=3,
            nightly_cards=10,
            pg=False,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def settings_for(url: str, data_dir: Path, base_url: str = "http://127.0.0.1:8000") -> Settings:
    return Settings(database_url=url, data_dir=data_dir, secret_key=SECRET, base_url=base_url)


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[None]:
    """Point every Piccolo table at `settings`' database (migrated), with a pool while inside."""
    db.configure(settings)
    await db.start_pool(settings)
    try:
        await db.migrate()
        yield
    finally:
        await db.close_pool()


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every figure is a latency someone saw)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def server_env(url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KITH_DATABASE_URL": url,
        "KITH_DATA_DIR": str(data_dir),
        "KITH_SECRET_KEY": SECRET,
        "KITH_BASE_URL": f"http://127.0.0.1:{port}",
        "KITH_HOST": "127.0.0.1",
        "KITH_PORT": str(port),
        # The nightly loop would rescore every user mid-measurement; the bench times it separately.
        "KITH_RUN_SCHEDULER": "0",
        **extra,
    }


class Server:
    """`kith serve` on a loopback port, its output in `log_path`; stopped by its own pid."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 1) -> None:
        self.env = env
        self.port = int(env["KITH_PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        args = [KITH, "serve", "--workers", str(self.workers)]
        self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kith serve exited early:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    # Every worker must be up, not just the first: ask a few more times.
                    time.sleep(0.5 * self.workers)
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"kith serve did not answer /health within 90 s:\n{self.log_tail()}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


def loadavg() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


@contextlib.contextmanager
def phase_timers(module: object, names: Sequence[str]) -> Iterator[dict[str, float]]:
    """Wall seconds spent in each named module-level function while inside (then restored).

    Services look their helpers up as module globals at call time, so wrapping the module
    attribute times every call without touching the service's code.
    """
    totals: dict[str, float] = defaultdict(float)
    originals = {name: getattr(module, name) for name in names}

    def wrap(name: str, inner: Any) -> Any:
        if inspect.iscoroutinefunction(inner):

            @functools.wraps(inner)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return await inner(*args, **kwargs)
                finally:
                    totals[name] += time.perf_counter() - start

            return timed_async

        @functools.wraps(inner)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - start

        return timed

    for name, inner in originals.items():
        setattr(module, name, wrap(name, inner))
    try:
        yield totals
    finally:
        for name, inner in originals.items():
            setattr(module, name, inner)
