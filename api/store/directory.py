"""Look-ups the command line needs: a contact by email or name, every account's id."""

from __future__ import annotations

from api.db.tables import Contact, ContactKey, User


async def contact_with_email(user_id: int, email: str) -> tuple[int, str] | None:
    """The contact holding this (normalized) email key, as (id, full name)."""
    row = (
        await ContactKey.select(ContactKey.contact, ContactKey.contact.full_name.as_alias("n"))
        .where(
            (ContactKey.user == user_id)
            & (ContactKey.kind == "email")
            & (ContactKey.value == email)
        )
        .first()
        .run()
    )
    return None if row is None else (int(row["contact"]), str(row["n"]))


async def active_contact_names(user_id: int) -> list[tuple[int, str]]:
    """(id, full name) of every contact that is not archived."""
    rows = (
        await Contact.select(Contact.id, Contact.full_name)
        .where((Contact.user == user_id) & Contact.archived.eq(False))
        .run()
    )
    return [(int(r["id"]), str(r["full_name"])) for r in rows]


async def user_ids() -> list[int]:
    """Every account, oldest first."""
    rows = await User.select(User.id).order_by(User.id).run()
    return [int(r["id"]) for r in rows]
