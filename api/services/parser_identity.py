"""Which parser reads a card: a card recognised by its bytes (pipeline/formats/vcard/spans.py)
is only known to read as it did last time when the same code reads it with the same settings.

The identity covers every source file of `pipeline/` (the reader, normalisation, limits), the
versions of the libraries that shape a parsed card (phone numbers, charset detection) and
Python's, and the region: an upgrade or another region makes every card read afresh once.
"""

from __future__ import annotations

import functools
import hashlib
import platform
from pathlib import Path

import charset_normalizer
import phonenumbers

import pipeline

# Their own version attributes: importlib.metadata would cost every `kith` start 40 ms.
_LIBRARIES = {"phonenumbers": phonenumbers, "charset-normalizer": charset_normalizer}


@functools.cache
def _code() -> bytes:
    digest = hashlib.blake2b(digest_size=32)
    root = Path(pipeline.__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name, module in _LIBRARIES.items():
        digest.update(f"{name}={getattr(module, '__version__', 'unknown')}\0".encode())
    digest.update(platform.python_version().encode())
    return digest.digest()


def parser_identity(region: str | None) -> bytes:
    """The key a card's bytes are digested with (32 bytes)."""
    return hashlib.blake2b(_code() + b"\0" + (region or "").encode(), digest_size=32).digest()
