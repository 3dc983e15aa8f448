"""Source passwords sealed at rest: AES-256-GCM under a key derived (HKDF-SHA256) from Kith's
secret key, so a copy of the database alone reveals nothing.

A sealed value is `v1.<base64 nonce + ciphertext>`; the source id is bound in as associated
data, so a sealed password copied onto another source does not open. Changing the secret key
makes every sealed value unreadable: `open_secret` then raises `SecretLost`, and the source says
"re-enter the password" instead of failing in some other way. Plain values are never logged.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1."
INFO = b"kith source credentials v1"
REENTER = "the stored password cannot be read (the secret key changed): re-enter the password"

_configured: str | None = None


class SecretLost(Exception):
    """The sealed value does not open under the current secret key."""

    def __init__(self) -> None:
        super().__init__(REENTER)


def configure(secret_key: str) -> None:
    """create_app sets the process's secret key (like outbound.configure)."""
    global _configured
    _configured = secret_key


def current_key() -> str:
    if _configured is not None:
        return _configured
    from api.settings import Settings

    return Settings.from_env().with_secret().secret_key


def _aead(secret_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(
        secret_key.encode()
    )
    return AESGCM(key)


def seal(plain: str, source_id: int, secret_key: str | None = None) -> str:
    nonce = os.urandom(12)  # 96-bit random nonce (NIST SP 800-38D 8.2.2); one key, few messages
    body = _aead(secret_key or current_key()).encrypt(nonce, plain.encode(), _aad(source_id))
    return PREFIX + base64.urlsafe_b64encode(nonce + body).decode()


def open_secret(sealed: str, source_id: int, secret_key: str | None = None) -> str:
    if not sealed.startswith(PREFIX):
        raise SecretLost()
    try:
        raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
        plain = _aead(secret_key or current_key()).decrypt(raw[:12], raw[12:], _aad(source_id))
    except (InvalidTag, ValueError):
        raise SecretLost() from None
    return plain.decode()


def _aad(source_id: int) -> bytes:
    return f"import_source:{source_id}".encode()
