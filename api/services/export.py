"""Export (JSON, vCard 4.0, CSV) and restore: a user's data leaves and comes back whole."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import re
from typing import Any

from api.db import write_transaction
from api.errors import BadRequest, Conflict
from api.jsonutil import load_list
from api.store import export as store

FORMAT_VERSION = 1
_USER_FIELDS = (
    "id",
    "email",
    "password_hash",
    "timezone",
    "region",
    "per_day_cap",
    "per_week_cap",
    "weekday_factors",
    "alarm_hour",
    "nightly_hour",
    "own_emails",
    "created_at",
)
_SKIP = {"id", "user"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in rows]


async def export_json(user_id: int) -> dict[str, Any]:
    """Everything a user owns, ids included so references survive a restore exactly."""
    user = await store.user_row(user_id, _USER_FIELDS)
    doc: dict[str, Any] = {
        "kith_export": FORMAT_VERSION,
        "user": {k: _plain(v) for k, v in user.items()},
    }
    for name in store.TABLE_NAMES:
        doc[name] = _rows(await store.owned_rows(user_id, name))
    return doc


_DATETIME = {
    "created_at",
    "updated_at",
    "last_at",
    "at",
    "done_at",
    "changed_at",
    "last_run_at",
    "last_fetched_at",
    "revoked_at",
}
_DATE = {"due_on", "not_before", "entered_on", "day", "until"}


def _parse(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _DATETIME:
        return dt.datetime.fromisoformat(value)
    if name in _DATE:
        return dt.date.fromisoformat(value)
    if name == "photo":
        return base64.b64decode(value)
    return value


async def restore_json(doc: dict[str, Any], *, replace: bool = False, new_ids: bool = False) -> int:
    """Recreate an exported account (one transaction); returns the user id.

    Rows keep their ids, so contact links, the feed's event UIDs and, on the same server (the
    same secret key), the feed URL survive. When another account holds any of the ids, that
    is a Conflict unless `new_ids`: then every row gets a new id and references follow."""
    if doc.get("kith_export") != FORMAT_VERSION:
        raise BadRequest("not a Kith JSON export (or from an unknown version)")
    email = doc["user"]["email"]
    async with write_transaction():
        existing = await store.find_user_id(email)
        if existing is not None:
            if not replace:
                raise Conflict(f"an account for {email} exists; use --replace to overwrite it")
            await store.delete_user(existing)
        user = {k: _parse(k, v) for k, v in doc["user"].items() if k != "id"}
        if not new_ids:
            await _check_ids_free(doc)
            if "id" in doc["user"]:
                user["id"] = int(doc["user"]["id"])
        user_id = await store.insert_user(user)
        ids: dict[str, dict[int, int]] = {}
        for name in store.TABLE_NAMES:
            ids[name] = {}
            for item in doc.get(name, []):
                data = {k: _parse(k, v) for k, v in item.items() if k not in _SKIP}
                for ref, target in _REFS.get(name, {}).items():
                    if data.get(ref) is not None:
                        data[ref] = ids[target][data[ref]]
                if not new_ids:
                    data["id"] = int(item["id"])
                ids[name][item["id"]] = await store.insert_owned(user_id, name, data)
        await store.advance_id_sequences()
    return user_id


async def _check_ids_free(doc: dict[str, Any]) -> None:
    user_ids = [int(doc["user"]["id"])] if "id" in doc["user"] else []
    taken = await store.ids_taken(None, user_ids)
    for name in store.TABLE_NAMES:
        taken = taken or await store.ids_taken(name, [int(r["id"]) for r in doc.get(name, [])])
    if taken:
        raise Conflict(
            "another account in this database holds ids of this export; restore into a new "
            "database, or use --new-ids (contact links and the feed URL then change)"
        )


_REFS: dict[str, dict[str, str]] = {
    "contacts": {"circle": "circles"},
    "contact_keys": {"contact": "contacts"},
    "interactions": {"contact": "contacts"},
    "follow_ups": {"contact": "contacts", "interaction": "interactions"},
    "reminders": {"contact": "contacts"},
}


def neutralize(cell: str) -> str:
    """CSV formula injection: a cell starting with = + - @ (or tab/CR) is prefixed with ' so
    spreadsheets show it as text (OWASP CSV injection)."""
    return "'" + cell if cell[:1] in {"=", "+", "-", "@", "\t", "\r"} else cell


CSV_COLUMNS = (
    "Name",
    "Given Name",
    "Family Name",
    "Organization",
    "Title",
    "Emails",
    "Phones",
    "Birthday",
    "Circle",
    "Health",
    "Last Contact",
    "Note",
)


async def export_csv(user_id: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in await store.contacts_with_circle(user_id):
        cells = [
            c["full_name"],
            c["given_name"] or "",
            c["family_name"] or "",
            c["organization"] or "",
            c["title"] or "",
            " ::: ".join(load_list(c["emails"])),
            " ::: ".join(load_list(c["phones"])),
            c["birthday"] or "",
            c["circle_name"] or "",
            str(c["health"]),
            c["last_at"].date().isoformat() if c["last_at"] else "",
            c["note"] or "",
        ]
        writer.writerow([neutralize(str(x)) for x in cells])
    return out.getvalue()


# Every line break some reader splits a line on (CR LF, CR, LF, and what str.splitlines also
# honours: VT, FF, FS, GS, RS, NEL, LINE and PARAGRAPH SEPARATOR): a raw one would end the
# content line, and what follows could forge properties or whole cards.
_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _vescape(text: str) -> str:
    """RFC 6350 section 3.4: backslash, comma and semicolon are escaped, and a newline is `\\n`
    (each kind of line break becomes one)."""
    escaped = text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return _LINE_BREAKS.sub("\\\\n", escaped)


def _uri(text: str) -> str:
    """A URI value has no escapes (RFC 6350 section 3.4 applies to TEXT) and no line breaks."""
    return _LINE_BREAKS.sub("", text)


def _fold(line: str) -> str:
    """RFC 6350 section 3.2: lines longer than 75 octets are folded (CRLF + space)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += b
    parts.append(current.decode())
    return "\r\n ".join(parts)


async def export_vcard(user_id: int) -> str:
    lines: list[str] = []
    for c in await store.contacts_with_circle(user_id):
        card = ["BEGIN:VCARD", "VERSION:4.0", f"FN:{_vescape(c['full_name'])}"]
        card.append(f"N:{_vescape(c['family_name'] or '')};{_vescape(c['given_name'] or '')};;;")
        if c["organization"]:
            card.append(f"ORG:{_vescape(c['organization'])}")
        if c["title"]:
            card.append(f"TITLE:{_vescape(c['title'])}")
        card += [f"EMAIL:{_vescape(e)}" for e in load_list(c["emails"])]
        card += [f"TEL;VALUE=uri:tel:{_uri(p)}" for p in load_list(c["phones"])]
        card += [f"URL:{_uri(u)}" for u in load_list(c["urls"])]
        if c["birthday"]:
            card.append(
                f"BDAY:{c['birthday'].replace('-', '') if not c['birthday'].startswith('--') else c['birthday'][:4] + c['birthday'][5:]}"
            )
        if c["note"]:
            card.append(f"NOTE:{_vescape(c['note'])}")
        card.append(f"UID:urn:kith:{user_id}:{c['id']}")
        card.append("END:VCARD")
        lines += [_fold(x) for x in card]
    return "\r\n".join(lines) + ("\r\n" if lines else "")
