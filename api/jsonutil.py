"""JSON text columns: lists and dicts stored as text so SQLite and PostgreSQL behave the same."""

from __future__ import annotations

import json
from json.encoder import encode_basestring
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
    if type(value) is list:
        # A list of strings (what contact columns hold): the text the encoder writes, without
        # its per-call set-up; encode_basestring is the escaping it uses when ensure_ascii=False,
        # and raises TypeError for anything but a string (then the encoder writes the list).
        try:
            return "[" + ",".join(map(encode_basestring, value)) + "]"
        except TypeError:
            pass
    return _ENCODER.encode(value)
