"""JSON text columns: lists and dicts stored as text so SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import json
from typing import Any


def load_list(text: str | None) -> list[Any]:
    if not text:
        return []
    value = json.loads(text)
    return value if isinstance(value, list) else []


def load_dict(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


# One encoder for every dump: json.dumps with options builds a new JSONEncoder per call, which
# was a third of the cost of a short list (an import dumps four lists per new contact).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump(value: object) -> str:
    return _ENCODER.encode(value)
