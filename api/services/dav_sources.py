"""Adding a CardDAV or CalDAV source, and "Test connection": the location is checked by the
guarded client, the collections are discovered, the password is sealed (api/secrets_box.py)."""

from __future__ import annotations

from api import outbound, secrets_box
from api.errors import BadRequest
from api.outbound import OutboundPolicy
from api.schemas import CollectionOut, SourceOut, SourceTestOut
from api.services.dav_client import Account, DavError, discover
from api.store import sources as store
from pipeline.formats.dav.discovery import Kind

DAV_KINDS: tuple[Kind, ...] = ("carddav", "caldav")


def dav_kind(kind: str) -> Kind | None:
    return next((k for k in DAV_KINDS if k == kind), None)


async def _check(location: str, policy: OutboundPolicy) -> str:
    location = location.strip()
    try:
        await outbound.check_url(policy, location)
    except outbound.OutboundError as exc:
        if exc.kind == "not-allowed" and not location.startswith("https://"):
            raise BadRequest(
                "a CardDAV or CalDAV source must be https:// "
                "(plain http only for KITH_SOURCE_ALLOW_HOSTS)"
            ) from None
        raise BadRequest(f"this URL cannot be a source: {exc.user_message}") from None
    return location


async def found_collections(
    kind: Kind, location: str, username: str, password: str, policy: OutboundPolicy | None = None
) -> list[CollectionOut]:
    """Discovery; raises DavError with the reason."""
    account = Account(location, username, password, policy or outbound.current_policy())
    found = await discover(account, kind)
    return [CollectionOut(href=c.href, name=c.name, sync=c.supports_sync) for c in found]


async def test_connection(kind: str, location: str, username: str, password: str) -> SourceTestOut:
    which = dav_kind(kind)
    if which is None:
        raise BadRequest("kind must be 'carddav' or 'caldav'")
    policy = outbound.current_policy()
    location = await _check(location, policy)
    try:
        collections = await found_collections(which, location, username, password, policy)
    except DavError as exc:
        return SourceTestOut(ok=False, error=str(exc))
    return SourceTestOut(ok=True, collections=collections)


async def create_dav_source(
    user_id: int,
    kind: Kind,
    location: str,
    username: str | None,
    password: str | None,
    label: str = "",
    picked: list[str] | None = None,
) -> int:
    """The new source's id. Every collection found is synced unless `picked` names some."""
    policy = outbound.current_policy()
    location = await _check(location, policy)
    try:
        found = await found_collections(kind, location, username or "", password or "", policy)
    except DavError as exc:
        raise BadRequest(f"cannot use this {kind} account: {exc}") from None
    if picked:
        chosen = [c for c in found if c.href in set(picked)]
        if not chosen:
            raise BadRequest("none of the picked collections was found on the server")
        found = chosen
    source_id = await store.insert_source(
        user_id, kind, location, "auto", label or location, username=username, collections=found
    )
    if password:
        await store.set_secret(source_id, secrets_box.seal(password, source_id))
    return source_id


async def set_password(source: SourceOut, password: str) -> None:
    """After "re-enter the password": seal the new one under the current key."""
    if dav_kind(source.kind) is None:
        raise BadRequest("only CardDAV and CalDAV sources have a password")
    await store.set_secret(source.id, secrets_box.seal(password, source.id) if password else None)
