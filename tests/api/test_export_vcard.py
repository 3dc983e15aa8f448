"""The vCard export: whatever a contact's text holds, it reads back as the same cards."""

from __future__ import annotations

import vobject

from api.services.export import export_vcard
from api.services.users import find_user
from pipeline.formats.vcard.parse import parse_vcards

FORGED = "END:VCARD\rBEGIN:VCARD\rVERSION:4.0\rFN:Forged Person\rEMAIL:evil@example.com"
# Every line break a reader might split a line on: CR LF, a bare CR, a bare LF, NEL, LINE
# SEPARATOR, PARAGRAPH SEPARATOR and (str.splitlines) VT.
BREAKS = "one\r\ntwo\rthree\nfour\x85five\u2028six\u2029seven\x0beight"


async def test_line_breaks_in_a_note_or_name_are_escaped_and_never_forge_a_card(alice):
    r = await alice.post(
        "/api/contacts",
        json={
            "full_name": "Ann Lee",
            "organization": "Acme\rBEGIN:VCARD",
            "note": f"{BREAKS}\r{FORGED}",
            "urls": ["https://example.com/a\r\nFN:Forged"],
        },
    )
    assert r.status_code == 201, r.text
    user = await find_user("alice@example.com")
    text = await export_vcard(user.id)
    lines = text.split("\r\n")
    assert text.splitlines() == lines[:-1], "no line break but the CR LF between lines"
    assert [line for line in lines if line.startswith(("BEGIN:", "END:"))] == [
        "BEGIN:VCARD",
        "END:VCARD",
    ]
    # RFC 6350 section 3.4: a newline in a value is written as `\n`; read back, each break is
    # one newline and every forged line stays inside the note.
    (card,) = parse_vcards(text.encode(), region="US").contacts
    assert card.full_name == "Ann Lee"
    assert card.note == "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n" + FORGED.replace(
        "\r", "\n"
    )
    assert card.emails == []
    (other,) = list(vobject.readComponents(text))
    assert other.fn.value == "Ann Lee"
    assert other.note.value == card.note
    assert card.organization and other.org.value == [card.organization]
