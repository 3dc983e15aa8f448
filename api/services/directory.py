"""Finding a contact by what a person types, and every account, for the command line."""

from __future__ import annotations

from api.errors import BadRequest, NotFound
from api.store import directory
from pipeline.normalize import normalize_email


async def find_contact(user_id: int, query: str) -> tuple[int, str]:
    """(id, full name) by email (exact, casefolded), else by name (exact, then unique substring)."""
    email = normalize_email(query)
    if email:
        found = await directory.contact_with_email(user_id, email)
        if found is not None:
            return found
    rows = await directory.active_contact_names(user_id)
    wanted = query.casefold().strip()
    exact = [r for r in rows if r[1].casefold() == wanted]
    matches = exact or [r for r in rows if wanted in r[1].casefold()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(f"no contact matches {query!r}")
    names = ", ".join(sorted(name for _, name in matches)[:5])
    raise BadRequest(f"{query!r} matches {len(matches)} contacts ({names}); use the email")


async def list_user_ids() -> list[int]:
    return await directory.user_ids()
