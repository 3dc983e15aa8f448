"""Passwords (argon2, checked off the event loop), sign-in throttling, cooldowns and
secret-token hashing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# A real hash to verify against when the account does not exist, so a wrong email costs the same time.
# Written out, not hashed at import (that was ~0.15 s of every `kith` command, an import's too);
# hashed anew only when the hasher's parameters differ from it, so it always costs what a real
# verification costs.
_DUMMY_WRITTEN = "$argon2id$v=19$m=65536,t=3,p=4$b3X0K0mu1edl8kjg1nnFcQ$6HIIa2CZkecURPv2v8TIk83vvBK6tymcpB9d1KIoFaw"
_DUMMY_HASH = (
    _hasher.hash("kith-dummy-password-for-timing")
    if _hasher.check_needs_rehash(_DUMMY_WRITTEN)
    else _DUMMY_WRITTEN
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Blocking (argon2 costs tens of milliseconds of CPU): from async code use `verifier`."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class PasswordVerifier:
    """Checks passwords in worker threads, at most `concurrency` at once, so a burst of sign-ins
    never stalls the event loop (argon2 releases the GIL while it hashes) nor takes every core.

    `calls` and `peak` count the checks started and the most in flight at once; `check` is the
    blocking function run in the thread.
    """

    def __init__(self, concurrency: int = 2) -> None:
        self.concurrency = concurrency
        self.check: Callable[[str | None, str], bool] = verify_password
        self.calls = 0
        self.peak = 0
        self._running = 0
        # One semaphore per event loop: an asyncio primitive belongs to the loop it waited in.
        self._limits: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._limits = weakref.WeakKeyDictionary()

    def _limit(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        limit = self._limits.get(loop)
        if limit is None:
            limit = self._limits[loop] = asyncio.Semaphore(self.concurrency)
        return limit

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._limit():
            self.calls += 1
            self._running += 1
            self.peak = max(self.peak, self._running)
            try:
                return await asyncio.to_thread(self.check, password_hash, password)
            finally:
                self._running -= 1


verifier = PasswordVerifier(concurrency=2)


def check_password_strength(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    return None


def new_token() -> str:
    """256 random bits, URL-safe: feed tokens and setup links."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


# Failures of one (account, address) are forgotten after this long without an attempt (or at a
# successful sign-in): long enough that waiting out the delays buys a guesser nothing.
FORGET_AFTER_SECONDS = 24 * 3600
# One address may fail this many times more across all accounts before it is slowed down too, so
# a guesser cannot spray one password over many accounts, yet a shared office address still works.
SPRAY_FACTOR = 10


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Counts sign-in attempts per (account, client address), before they are verified.

    The first `free_failures` attempts pass; after them each further attempt must wait a delay
    that doubles from 1 second up to `max_delay`, counted from the previous attempt. An attempt
    refused for the delay is not counted and costs no password check. The delay belongs to the
    pair: the owner signing in from another address is never held back by a guesser, so no one
    can lock an account from everywhere. One address is also slowed down, the same way, after
    `SPRAY_FACTOR` times as many failures across all accounts.

    In memory, per process: with several app processes each keeps its own counts, so the
    effective allowance is `processes` times larger, still far below what guessing needs.
    At most `max_entries` keys are remembered; the oldest are dropped first.
    """

    def __init__(
        self,
        free_failures: int,
        max_delay: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        self.free_failures = free_failures
        self.free_per_address = free_failures * SPRAY_FACTOR
        self.max_delay = max_delay
        self.clock = clock
        self.max_entries = max_entries
        self._seen: dict[tuple[str, ...], _Failures] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def _wait(self, key: tuple[str, ...], free: int, now: float) -> float:
        entry = self._seen.get(key)
        if entry is None:
            return 0.0
        if now - entry.last >= FORGET_AFTER_SECONDS:
            del self._seen[key]
            return 0.0
        if entry.count < free:
            return 0.0
        delay = min(2.0 ** (entry.count - free), self.max_delay)
        return max(0.0, entry.last + delay - now)

    def _count(self, key: tuple[str, ...], now: float) -> None:
        entry = self._seen.pop(key, None) or _Failures(0, now)
        entry.count += 1
        entry.last = now
        self._seen[key] = entry  # re-inserted: the dict's order is least recently tried first
        while len(self._seen) > self.max_entries:
            del self._seen[next(iter(self._seen))]

    def attempt(self, account: str, address: str) -> int:
        """0 when this sign-in may be verified (it is counted now, as a failure until it
        succeeds), else the seconds to wait (Retry-After). No await between the check and the
        count, so concurrent guesses cannot all pass the check before any is counted."""
        now = self.clock()
        pair, spray = ("pair", account, address), ("addr", address)
        wait = max(
            self._wait(pair, self.free_failures, now),
            self._wait(spray, self.free_per_address, now),
        )
        if wait > 0:
            return max(1, math.ceil(wait))
        self._count(pair, now)
        self._count(spray, now)
        return 0

    def succeeded(self, account: str, address: str) -> None:
        """The pair's failures are forgotten; the address's are not, or an attacker's own
        account would wipe its spraying."""
        self._seen.pop(("pair", account, address), None)


class Cooldown:
    """One start per key within `seconds` (a manual source run: outbound work on demand)."""

    def __init__(self, seconds: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._started: dict[Hashable, float] = {}

    def start(self, key: Hashable) -> int:
        """0 when `key` may start now (recorded), else the seconds to wait."""
        now = self.clock()
        self._started = {k: t for k, t in self._started.items() if now - t < self.seconds}
        began = self._started.get(key)
        if began is not None:
            return max(1, math.ceil(began + self.seconds - now))
        self._started[key] = now
        return 0

    def release(self, key: Hashable) -> None:
        """Give the turn back (the start did not happen, e.g. no such source)."""
        self._started.pop(key, None)


class ImportThrottle:
    """At most `limit` imports per user per hour: an import is heavy work for a small server."""

    def __init__(self, limit: int = 60, window_seconds: int = 3600) -> None:
        self.limit = limit
        self.window = window_seconds
        self._runs: dict[int, deque[float]] = {}

    def allow(self, user_id: int) -> bool:
        now = time.monotonic()
        q = self._runs.setdefault(user_id, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True
