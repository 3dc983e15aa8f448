"""Synthetic vCard 3.0 address books for the import benchmark (Apple-style, deterministic per seed)."""

from __future__ import annotations

import argparse
import base64
import io
import random
import time
import unicodedata
import uuid
from pathlib import Path


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_GIVEN = _words(
    """James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
    Richard Susan Joseph Jessica Thomas Sarah Charles Karen José Zoë Søren Jürgen Amélie Łukasz
    Noémie Björn Ана Дмитрий Yuki Wei 太郎 Priya Aarav Fatima Omar Chloé Mateo Ines Luca Giulia"""
)
_FAMILY = _words(
    """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Müller Dubois Rossi Novák
    Kowalski Jensen Ivanova Tanaka 山田 Wang Sharma Haddad O'Brien García-López"""
)
_COMPANIES = (
    "Acme Corp",
    "Globex, Inc.",
    "Initech",
    "Umbrella Labs",
    "Stark Industries",
    "Wayne Enterprises",
    "Müller & Söhne GmbH",
    "Example Plumbing, LLC",
    "Hooli",
    "Vandelay Industries",
)
_DEPTS = ("Sales", "Engineering", "Accounting", "R&D", "Marketing", "")
_TITLES = ("Engineer", "Account Executive", "CTO", "Designer", "Nurse", "Teacher", "Owner", "")
_CITIES = (
    ("Springfield", "IL", "62701", "United States"),
    ("Portland", "OR", "97201", "United States"),
    ("Berlin", "", "10115", "Germany"),
    ("Lyon", "", "69001", "France"),
    ("Toronto", "ON", "M5V 2T6", "Canada"),
)
_LABELS = ("_$!<Other>!$_", "_$!<HomePage>!$_", "_$!<Anniversary>!$_", "Gym", "Old job")
_NOTES = (
    "Met at the conference, talked about gardening; follow up in spring.",
    "Kids: Anna (7) and Ben (4).\nLikes espresso.",
    "Introduced by Sam. Wants to hear about the new role, call after 6pm.",
    "",
    "",
)


def _escape(text: str) -> str:
    """RFC 6350 section 3.4 text escaping."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def _ascii(text: str) -> str:
    """An address-safe local part: accents dropped, anything else non-ASCII removed."""
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in bare if ch.isalnum() or ch == ".") or "contact"


def _fold(line: str) -> str:
    """RFC 6350 section 3.2: at most 75 octets per line, never splitting a UTF-8 sequence."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line + "\r\n"
    out: list[str] = []
    chunk = ""
    size = 0
    limit = 75
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            out.append(chunk)
            chunk, size, limit = "", 0, 74  # continuation lines carry a leading space
        chunk += ch
        size += width
    out.append(chunk)
    return "\r\n ".join(out) + "\r\n"


def _photos(rng: random.Random) -> list[bytes]:
    """A few small JPEGs (Pillow when present, else a minimal JPEG-shaped blob)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a project dependency
        return [b"\xff\xd8\xff\xe0" + rng.randbytes(1500) + b"\xff\xd9" for _ in range(4)]
    photos = []
    for _ in range(4):
        image = Image.new("RGB", (48, 48), tuple(rng.randrange(256) for _ in range(3)))
        for _ in range(60):
            image.putpixel(
                (rng.randrange(48), rng.randrange(48)),
                tuple(rng.randrange(256) for _ in range(3)),
            )
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=80)
        photos.append(buf.getvalue())
    return photos


def _phone(rng: random.Random) -> str:
    style = rng.randrange(4)
    area, mid, last = rng.randrange(201, 990), rng.randrange(200, 999), rng.randrange(10000)
    if style == 0:
        return f"({area}) {mid}-{last:04d}"
    if style == 1:
        return f"+1 {area} {mid} {last:04d}"
    if style == 2:
        return f"+44 20 {rng.randrange(7000, 8999)} {last:04d}"
    return f"{area}-{mid}-{last:04d}"


def _card(rng: random.Random, index: int, photos: list[bytes]) -> str:
    given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
    middle = rng.choice(("", "", "", "Ann", "J."))
    lines = ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//macOS 14.4//EN"]
    lines.append(f"N:{_escape(family)};{_escape(given)};{_escape(middle)};;")
    lines.append(f"FN:{_escape(' '.join(p for p in (given, middle, family) if p))}")
    if rng.random() < 0.3:
        lines.append(f"NICKNAME:{_escape(given[:3])}")
    if rng.random() < 0.7:
        company, dept = rng.choice(_COMPANIES), rng.choice(_DEPTS)
        lines.append(f"ORG:{_escape(company)};{_escape(dept)}")
        title = rng.choice(_TITLES)
        if title:
            lines.append(f"TITLE:{_escape(title)}")
    local = _ascii(f"{given}.{family}{index}".lower())
    domain = rng.choice(("example.com", "example.org", "mail.example.net"))
    lines.append(f"item1.EMAIL;type=INTERNET;type=pref:{local}@{domain}")
    lines.append(f"item1.X-ABLabel:{rng.choice(_LABELS)}")
    if rng.random() < 0.4:
        lines.append(f"EMAIL;type=INTERNET;type=WORK:{local}@work.example.com")
    lines.append(f"TEL;type=CELL;type=VOICE;type=pref:{_phone(rng)}")
    if rng.random() < 0.5:
        lines.append(f"TEL;type=WORK;type=VOICE:{_phone(rng)}")
    if rng.random() < 0.6:
        city, region, code, country = rng.choice(_CITIES)
        street = f"{rng.randrange(1, 999)} {rng.choice(('Main St', 'Oak Ave', 'Hauptstraße 5'))}"
        lines.append(
            f"item2.ADR;type=HOME;type=pref:;;{_escape(street)};{city};{region};{code};{country}"
        )
        lines.append("item2.X-ABADR:us")
    if rng.random() < 0.3:
        lines.append(f"item3.URL;type=pref:https\\://example.com/~{local}")
        lines.append("item3.X-ABLabel:_$!<HomePage>!$_")
    roll = rng.random()
    month, day = rng.randrange(1, 13), rng.randrange(1, 29)
    if roll < 0.4:
        lines.append(f"BDAY;value=date:{rng.randrange(1940, 2010)}-{month:02d}-{day:02d}")
    elif roll < 0.5:
        lines.append(f"BDAY;X-APPLE-OMIT-YEAR=1604;value=date:1604-{month:02d}-{day:02d}")
    elif roll < 0.55:
        lines.append(f"BDAY:--{month:02d}{day:02d}")
    note = rng.choice(_NOTES)
    if note:
        lines.append(f"NOTE:{_escape(note)}")
    if rng.random() < 0.5:
        lines.append(f"CATEGORIES:{rng.choice(('Friends', 'Work', 'Family,Friends', 'Gym'))}")
    if rng.random() < 0.1:
        lines.append(f"X-SOCIALPROFILE;type=twitter;x-user={local}:https://twitter.com/{local}")
    if rng.random() < 0.05:
        photo = base64.b64encode(rng.choice(photos)).decode("ascii")
        lines.append(f"PHOTO;ENCODING=b;TYPE=JPEG:{photo}")
    lines.append(f"UID:{uuid.UUID(int=rng.getrandbits(128), version=4)}")
    lines.append(f"REV:2024-{month:02d}-{day:02d}T10:{rng.randrange(60):02d}:00Z")
    lines.append("END:VCARD")
    return "".join(_fold(line) for line in lines)


def generate_vcards(n: int, seed: int = 0) -> bytes:
    """`n` vCard 3.0 cards as one UTF-8, CRLF, 75-octet-folded export."""
    rng = random.Random(seed)
    photos = _photos(rng)
    return "".join(_card(rng, i, photos) for i in range(n)).encode("utf-8")


def _bench(data: bytes, n: int, rounds: int) -> None:
    """Cards per CPU second (best of `rounds`): Kith's parser against vobject.readComponents.

    CPU time rather than wall time, so that other work on a shared machine skews both less.
    vobject is timed twice: streamed and discarded (its bare parsing speed, the strict baseline)
    and with its components kept, as an importer must keep what it read (Kith keeps its records).
    """
    import vobject

    from pipeline.formats.vcard.parse import parse_vcards

    text = data.decode("utf-8")
    timings: dict[str, list[float]] = {"kith": [], "vobject streamed": [], "vobject kept": []}
    for _ in range(rounds):
        start = time.process_time()
        result = parse_vcards(data, region="US")
        timings["kith"].append(time.process_time() - start)
        del result
        start = time.process_time()
        count = sum(1 for _ in vobject.readComponents(text, allowQP=True))
        timings["vobject streamed"].append(time.process_time() - start)
        start = time.process_time()
        kept = list(vobject.readComponents(text, allowQP=True))
        timings["vobject kept"].append(time.process_time() - start)
        assert count == len(kept) == n
        del kept
    ours = min(timings["kith"])
    for name, seconds in timings.items():
        best = min(seconds)
        print(f"{name:17s} {n} cards, {best:6.2f} s CPU = {n / best:8,.0f} cards/s", end="")
        print("" if name == "kith" else f"  (kith is {best / ours:.1f}x faster)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench-vcards.vcf"))
    parser.add_argument("--bench", action="store_true", help="also time Kith against vobject")
    parser.add_argument("--rounds", type=int, default=1, help="benchmark rounds (best is kept)")
    args = parser.parse_args()
    data = generate_vcards(args.cards, args.seed)
    args.out.write_bytes(data)
    print(f"wrote {args.cards} cards, {len(data) / 1e6:.1f} MB to {args.out}")
    if args.bench:
        _bench(data, args.cards, args.rounds)


if __name__ == "__main__":
    main()
