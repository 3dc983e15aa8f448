"""Image bombs in vCard photos: refused from the header, an issue on the card, never a frozen server.

The bombs are generated here (tiny, highly compressible PNGs that declare 8900x8900 pixels,
79 megapixels): no big file is committed.
"""

from __future__ import annotations

import asyncio
import base64
import io
import struct
import zlib

from PIL import Image

from api.services.photos import MAX_PIXELS, thumbnail

SIDE = 8900


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = SIDE) -> bytes:
    """A valid 1-bit grayscale PNG of side x side black pixels, a few KB once compressed."""
    row = b"\x00" + bytes((side + 7) // 8)  # filter byte "none", then the packed pixels
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, "JPEG", quality=70)
    return out.getvalue()


def card(n: int, photo: bytes) -> str:
    encoded = base64.b64encode(photo).decode("ascii")
    folded = "\r\n ".join(encoded[i : i + 74] for i in range(0, len(encoded), 74))
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\n"
        f"FN:Bomb Person {n}\r\nN:Person {n};Bomb;;;\r\n"
        f"EMAIL:bomb{n}@example.com\r\n"
        f"PHOTO;ENCODING=b;TYPE=PNG:{folded}\r\n"
        "END:VCARD\r\n"
    )


def test_a_png_bomb_is_refused_from_its_header_with_its_size_in_the_reason():
    bomb = png_bomb()
    assert len(bomb) < 200_000, "the bomb is small on disk"
    assert SIDE * SIDE > MAX_PIXELS
    got = thumbnail(bomb)
    assert got.jpeg is None
    assert got.problem is not None and f"{SIDE}x{SIDE}" in got.problem


def test_a_jpeg_whose_header_claims_too_many_pixels_is_refused_before_decoding():
    small = bytearray(jpeg(16, 16))
    sof = small.index(b"\xff\xc0")  # SOF0: marker, length (2), precision (1), height, width
    small[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    got = thumbnail(bytes(small))
    assert got.jpeg is None
    assert got.problem is not None and "megapixel" in got.problem, got.problem


def test_a_large_camera_jpeg_within_the_budget_still_becomes_a_thumbnail():
    got = thumbnail(jpeg(4032, 3024))
    assert got.problem is None and got.jpeg is not None
    with Image.open(io.BytesIO(got.jpeg)) as small:
        assert max(small.size) <= 128


async def test_five_png_bombs_import_their_cards_with_five_issues_and_health_keeps_answering(
    alice, client
):
    bomb = png_bomb()
    body = "".join(card(n, bomb) for n in range(5)).encode()
    files = {"file": ("bombs.vcf", body, "text/vcard")}
    upload = asyncio.create_task(alice.post("/api/imports", files=files))
    answered_during_import = 0
    while not upload.done():
        health = await client.get("/health")
        assert health.status_code == 200, health.text
        if not upload.done():
            answered_during_import += 1
    assert answered_during_import >= 1, "a /health request completed while the import ran"
    r = await upload
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["status"] == "ok", report["error"]
    assert report["counts"]["new"] == 5
    photo_issues = [i for i in report["issues"] if "megapixel" in i["message"]]
    assert len(photo_issues) == 5, report["issues"]
    assert {i["file"] for i in photo_issues} == {"bombs.vcf"}
    lines = [i["line"] for i in photo_issues]
    assert lines == sorted(lines) and len(set(lines)) == 5, "each issue names its card's line"
    people = (await alice.get("/api/contacts")).json()["items"]
    assert len(people) == 5 and not any(p["has_photo"] for p in people)
