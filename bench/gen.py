"""Benchmark data, generated deterministically per seed: address books, users, networks.

Setup is not what is measured, so bulk rows go in fast: Piccolo multi-row inserts for a few
thousand rows on either engine, and stdlib sqlite3 `executemany` for the 500,000 interactions.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from api.db import write_transaction
from api.db.tables import Circle, Contact, ContactKey, Interaction
from api.jsonutil import dump
from api.services.demo import FIRST, LAST
from api.services.users import UserInfo, create_user, update_settings
from bench.common import PASSWORD
from bench.vcard_gen import generate_vcards

KINDS = ("coffee", "meal", "meeting", "call", "video", "message", "email", "event")
GIVEN = FIRST[:16]  # the demo network's names (api.services.demo)
FAMILY = LAST[:11]
# Where a generated network's people sit (None = untriaged import), by weight.
CIRCLE_MIX = (
    ("Inner", 1),
    ("Close", 3),
    ("Friends", 10),
    ("Network", 28),
    ("Strategic", 4),
    ("Operational", 6),
    ("Personal", 6),
    (None, 5),
)


def vcard_file(n: int, seed: int, folder: Path) -> Path:
    """The n-card vCard 3.0 export (bench/vcard_gen.py), cached: it is deterministic per seed."""
    path = folder / f"cards-{n}-seed{seed}.vcf"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(generate_vcards(n, seed))
        tmp.replace(path)
    return path


async def new_user(email: str, **settings: object) -> UserInfo:
    """An account with the default circles; `settings` as PATCH /api/settings takes them."""
    user = await create_user(email, PASSWORD, timezone="UTC", region="US")
    if settings:
        user = await update_settings(user.id, dict(settings))
    return user


async def circle_ids(user_id: int) -> dict[str, int]:
    rows = await Circle.select(Circle.id, Circle.name).where(Circle.user == user_id).run()
    return {r["name"]: int(r["id"]) for r in rows}


def pick_circles(n: int, rng: random.Random) -> list[str | None]:
    names = [name for name, _ in CIRCLE_MIX]
    weights = [w for _, w in CIRCLE_MIX]
    return rng.choices(names, weights, k=n)


async def add_contacts(
    user_id: int,
    circles: Sequence[int | None],
    rng: random.Random,
    now: dt.datetime,
    tag: str = "c",
) -> list[int]:
    """One contact per entry of `circles` (a circle id or None), with an email key each."""
    created = now - dt.timedelta(days=400)
    rows = []
    emails = []
    for i, circle in enumerate(circles):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        email = f"{tag}{i}.{family.lower()}@example.com"
        emails.append(email)
        rows.append(
            Contact(
                user=user_id,
                full_name=f"{given} {family} {tag}{i}",
                given_name=given,
                family_name=family,
                organization=rng.choice(("Acme", "Globex", "Initech", None)),
                emails=dump([email]),
                phones=dump([f"+1555{rng.randrange(10**6, 10**7)}"]),
                birthday=(
                    f"{rng.randint(1960, 2000)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
                    if rng.random() < 0.4
                    else None
                ),
                circle=circle,
                entered_on=created.date() if circle else None,
                source="bench",
                created_at=created,
                updated_at=created,
            )
        )
    ids: list[int] = []
    async with write_transaction():
        for i in range(0, len(rows), 200):
            got = await Contact.insert(*rows[i : i + 200]).returning(Contact.id).run()
            ids += [int(r["id"]) for r in got]
        keys = [
            ContactKey(user=user_id, contact=cid, kind="email", value=email)
            for cid, email in zip(ids, emails, strict=True)
        ]
        for i in range(0, len(keys), 500):
            await ContactKey.insert(*keys[i : i + 500]).run()
    return ids


def _interaction(
    user_id: int, contact_id: int, at: dt.datetime, rng: random.Random
) -> dict[str, object]:
    kind = rng.choice(KINDS)
    return {
        "user": user_id,
        "contact": contact_id,
        "kind": kind,
        "at": at,
        "direction": rng.choice(("out", "in", None)),
        "attendee_count": rng.randint(3, 12) if kind == "event" else None,
    }


async def add_interactions(
    user_id: int,
    contact_ids: Sequence[int],
    rng: random.Random,
    now: dt.datetime,
    per_contact: tuple[int, int] = (1, 8),
    days: tuple[int, int] = (1, 365),
) -> int:
    """A few past interactions per contact, through Piccolo (either engine)."""
    rows = []
    for cid in contact_ids:
        for _ in range(rng.randint(*per_contact)):
            at = now - dt.timedelta(days=rng.randint(*days), hours=rng.randint(0, 10))
            rows.append(
                Interaction(**_interaction(user_id, cid, at, rng), source="bench", created_at=at)
            )
    async with write_transaction():
        for i in range(0, len(rows), 500):
            await Interaction.insert(*rows[i : i + 500]).run()
    return len(rows)


def _sqlite_time(at: dt.datetime) -> str:
    # The text Piccolo's SQLite adapter writes for a Timestamptz: str() of the UTC datetime.
    return str(at.astimezone(dt.UTC))


def bulk_interactions_sqlite(
    path: Path,
    user_id: int,
    contact_ids: Sequence[int],
    total: int,
    rng: random.Random,
    now: dt.datetime,
    days: int = 3 * 365,
) -> int:
    """`total` interactions spread uniformly over contacts and the last `days`, in one commit."""
    conn = sqlite3.connect(path, timeout=60)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO interaction "
                '("user", contact, kind, at, direction, note, source, dedup_key, '
                "attendee_count, until, created_at) "
                "VALUES (?, ?, ?, ?, ?, NULL, 'bench', NULL, ?, NULL, ?)",
                _interaction_rows(user_id, contact_ids, total, rng, now, days),
            )
    finally:
        conn.close()
    return total


def _interaction_rows(
    user_id: int,
    contact_ids: Sequence[int],
    total: int,
    rng: random.Random,
    now: dt.datetime,
    days: int,
) -> Iterator[tuple[object, ...]]:
    # Drawn in bulk and stamped per minute (a cache of formatted times): 500,000 rows in ~1 s.
    contacts = rng.choices(contact_ids, k=total)
    kinds = rng.choices(KINDS, k=total)
    directions = rng.choices(("out", "in", None), k=total)
    minutes = [rng.randrange(24 * 60, days * 24 * 60) for _ in range(total)]
    base = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    stamps: dict[int, str] = {}
    for cid, kind, direction, minute in zip(contacts, kinds, directions, minutes, strict=True):
        stamp = stamps.get(minute)
        if stamp is None:
            stamp = stamps[minute] = _sqlite_time(base - dt.timedelta(minutes=minute))
        count = rng.randint(3, 12) if kind == "event" else None
        yield (user_id, cid, kind, stamp, direction, count, stamp)


def due_soon_interactions(
    contact_ids: Sequence[int], rng: random.Random, now: dt.datetime, spread_days: int = 80
) -> list[tuple[int, dt.datetime]]:
    """One coffee per Friends contact, timed so its reminder falls due in the next `spread_days`.

    Friends have a 90-day half-life; one coffee (credit 2) lasts until the score falls to 0.5:
    90 * log2(2 / 0.5) = 180 days after it (DESIGN.md section 5).
    """
    out = []
    for i, cid in enumerate(contact_ids):
        offset = 1 + (i * spread_days) // max(1, len(contact_ids)) + rng.random()
        out.append((cid, now - dt.timedelta(days=180) + dt.timedelta(days=offset)))
    return out


async def _network_db(path: Path, contacts: int, interactions: int, seed: int) -> str:
    from bench.common import database, settings_for, sqlite_url

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    async with database(settings_for(sqlite_url(path), path.parent / "data")):
        user = await new_user("strength@bench.example")
        circles = await circle_ids(user.id)
        places = [circles.get(name) if name else None for name in pick_circles(contacts, rng)]
        ids = await add_contacts(user.id, places, rng, now)
        bulk_interactions_sqlite(path, user.id, ids, interactions, rng, now)
    return user.email


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bench.gen vcards|network ...`: the benchmark's data, to profile by hand."""
    import argparse
    import asyncio

    parser = argparse.ArgumentParser(prog="python -m bench.gen", description=main.__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    cards = sub.add_parser("vcards", help="a vCard 3.0 export (bench/vcard_gen.py)")
    cards.add_argument("--cards", type=int, default=50_000)
    cards.add_argument("--seed", type=int, default=0)
    cards.add_argument("--out", type=Path, default=Path("bench/out"))
    net = sub.add_parser("network", help="a SQLite database: one user, contacts, interactions")
    net.add_argument("db", type=Path, help="a new .sqlite3 file")
    net.add_argument("--contacts", type=int, default=5_000)
    net.add_argument("--interactions", type=int, default=500_000)
    net.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.what == "vcards":
        print(vcard_file(args.cards, args.seed, args.out))
        return 0
    if args.db.exists():
        parser.error(f"{args.db} exists; give a new file")
    email = asyncio.run(_network_db(args.db, args.contacts, args.interactions, args.seed))
    print(f"{args.db}: {email} (password {PASSWORD!r}), {args.contacts} contacts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
