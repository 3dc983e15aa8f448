"""The nightly sources' request and response shapes (folder, URL, CardDAV, CalDAV)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from pipeline.limits import LABEL_MAX

# Lengths as in api/schemas: a longer value is a 400 naming the field and its limit (issue 12).
Label = Annotated[str, msgspec.Meta(max_length=LABEL_MAX)]


class SourceIn(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    kind: str
    location: str
    format: str = "auto"
    label: Label = ""
    # CardDAV/CalDAV only: the account, and the collection hrefs to sync (none: all found).
    username: str | None = None
    password: str | None = None
    collections: list[str] | None = None


class CollectionOut(msgspec.Struct):
    href: str
    name: str
    sync: bool = False  # the server offers RFC 6578 sync-collection


class SourceOut(msgspec.Struct):
    id: int
    kind: str
    location: str
    format: str
    label: str
    last_run_at: dt.datetime | None
    last_status: str | None
    last_error: str | None
    username: str | None = None
    password_set: bool = False  # never the password itself
    collections: list[CollectionOut] = msgspec.field(default_factory=list)
    last_counts: dict[str, int] | None = None


class SourceTestIn(msgspec.Struct, omit_defaults=True):
    kind: str
    location: str
    username: str = ""
    password: str = ""


class SourceUpdateIn(msgspec.Struct, omit_defaults=True):
    label: str | None = None
    password: str | None = None  # CardDAV/CalDAV only; sealed, never returned


class SourceTestOut(msgspec.Struct):
    ok: bool
    collections: list[CollectionOut] = msgspec.field(default_factory=list)
    error: str | None = None
