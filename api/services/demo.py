"""`kith demo`: a demo account with a generated network and a year of interactions."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from api.db import write_transaction
from api.services.strength import refresh_user
from api.services.users import UserInfo, create_user, email_taken, get_user
from api.store import circles as circle_store
from api.store import contacts as contact_store
from api.store import interactions as interaction_store

FIRST = [
    "Ada",
    "Ben",
    "Chloé",
    "Dev",
    "Eitan",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tomás",
    "Uma",
    "Vik",
    "Wen",
    "Xavier",
    "Yara",
    "Zoë",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Moreau",
    "García",
    "Novak",
    "Haddad",
    "Kowalski",
    "Nguyen",
    "Schmidt",
    "Rossi",
    "Patel",
    "Müller",
    "O'Brien",
    "Silva",
    "Cohen",
    "Ivanova",
    "Costa",
    "Larsen",
    "Dubois",
]
ORGS = [
    "Acme Robotics",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Studio",
    "Hooli",
    "Vandelay Imports",
    None,
    None,
]
TITLES = [
    "CTO",
    "Designer",
    "Founder",
    "Engineering Manager",
    "Investor",
    "Product Lead",
    None,
    None,
]
# circle -> (people, interactions a year on average)
PLAN = {
    "Inner": (5, 40),
    "Close": (15, 10),
    "Friends": (50, 4),
    "Network": (140, 1),
    "Strategic": (20, 5),
    "Operational": (30, 10),
    "Personal": (30, 3),
}
KINDS = ["coffee", "call", "message", "email", "meal", "video", "meeting", "event", "group-message"]
UNTRIAGED = 25


async def create_demo(email: str, password: str, now: dt.datetime, seed: int = 7) -> UserInfo:
    """Deterministic for a seed. The network has a few hundred people across every circle, some
    untriaged imports, and a year of interactions whose rhythm drifts, so health varies."""
    user = await create_user(email, password, timezone="UTC", region="US")
    rng = random.Random(seed)
    async with write_transaction():
        circles = await circle_store.ids_by_name(user.id)
        people: list[tuple[str | None, int]] = [
            (name, rate) for name, (n, rate) in PLAN.items() for _ in range(n)
        ]
        people += [(None, 0)] * UNTRIAGED
        rows: list[dict[str, Any]] = []
        seen = set()
        for circle, _ in people:
            while True:
                full = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                if full not in seen:
                    break
                full = f"{full} {rng.randint(2, 99)}"
                if full not in seen:
                    break
            seen.add(full)
            handle = full.lower().replace(" ", ".").replace("'", "")
            org = rng.choice(ORGS)
            rows.append(
                {
                    "full_name": full,
                    "given_name": full.split()[0],
                    "family_name": full.split()[1],
                    "organization": org,
                    "title": rng.choice(TITLES) if org else None,
                    "emails": [f"{handle}@example.com"],
                    "phones": [f"+1555{rng.randint(1000000, 9999999)}"],
                    "birthday": (
                        f"{rng.randint(1960, 2000)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
                        if rng.random() < 0.4
                        else None
                    ),
                    "circle": circles.get(circle) if circle else None,
                    "entered_on": (now - dt.timedelta(days=365)).date() if circle else None,
                    "source": "demo",
                    "created_at": now - dt.timedelta(days=365),
                    "updated_at": now - dt.timedelta(days=365),
                }
            )
        ids = await contact_store.insert_many(user.id, rows)
        keys = [(cid, "email", str(rows[n]["emails"][0])) for n, cid in enumerate(ids)]
        await contact_store.insert_keys(user.id, keys)
        events = []
        for (_, rate), cid in zip(people, ids, strict=True):
            if not rate:
                continue
            # Some ties are fading: their interactions stop part-way through the year.
            stop = rng.choice([0, 0, 0, 60, 120, 200])
            count = max(1, int(rng.gauss(rate, rate / 3)))
            for _ in range(count):
                days_ago = rng.randint(stop, 365)
                at = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 10))
                kind = rng.choice(KINDS)
                events.append(
                    {
                        "contact": cid,
                        "kind": kind,
                        "at": at,
                        "direction": rng.choice(["out", "in", None]),
                        "attendee_count": rng.randint(3, 12) if kind == "event" else None,
                        "source": "demo",
                        "created_at": at,
                    }
                )
        await interaction_store.insert_many(user.id, events)
    await refresh_user(await get_user(user.id), now)
    return user


async def demo_exists(email: str) -> bool:
    return await email_taken(email)
