"""What the first-run guide on Today checks: contacts, contacts in a circle, a fetched feed."""

from __future__ import annotations

from api.db.tables import Contact, FeedToken


async def progress(user_id: int) -> tuple[int, int, bool]:
    """(contacts kept, of them in a circle, whether a calendar fetched the current feed link)."""
    kept = (Contact.user == user_id) & (Contact.archived == False)  # noqa: E712 (SQL, not Python)
    contacts = int(await Contact.count().where(kept).run())
    placed = int(await Contact.count().where(kept & Contact.circle.is_not_null()).run())
    fetched = bool(
        await FeedToken.exists()
        .where(
            (FeedToken.user == user_id)
            & FeedToken.revoked_at.is_null()
            & FeedToken.last_fetched_at.is_not_null()
        )
        .run()
    )
    return contacts, placed, fetched
