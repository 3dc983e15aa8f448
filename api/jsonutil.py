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


def dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
