"""Passwords (argon2), login throttling and secret-token hashing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# A real hash to verify against when the account does not exist, so a wrong email costs the same time.
_DUMMY_HASH = _hasher.hash("kith-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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


class LoginThrottle:
    """At most `limit` failed sign-ins per window, counted per account and per client address.

    In memory, per process: with several app processes each has its own count, so the effective
    limit is `limit x processes`, still far below what guessing needs.
    """

    def __init__(self, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, email: str, address: str) -> int:
        """Seconds to wait, 0 when a sign-in may be tried."""
        now = time.monotonic()
        waits = []
        for key in (f"email:{email.casefold()}", f"addr:{address}"):
            q = self._recent(key, now)
            if len(q) >= self.limit:
                waits.append(int(q[0] + self.window - now) + 1)
        return max(waits, default=0)

    def failed(self, email: str, address: str) -> None:
        now = time.monotonic()
        for key in (f"email:{email.casefold()}", f"addr:{address}"):
            self._recent(key, now).append(now)

    def succeeded(self, email: str) -> None:
        self._failures.pop(f"email:{email.casefold()}", None)


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
