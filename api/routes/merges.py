"""Merge suggestions and nightly sources."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, patch, post
from litestar.params import JSONBody

from api.errors import NotFound, TooManyRequests
from api.jobs.background import AlreadyQueued, Jobs
from api.routes.deps import IdPath, accepted, current_user, now, settings
from api.schemas import (
    ImportReportOut,
    MergedOut,
    MergeIn,
    SourceIn,
    SourceOut,
    SourceTestIn,
    SourceTestOut,
    SourceUpdateIn,
    SuggestionOut,
    UndoIn,
    UndoneOut,
)
from api.services import background, contacts, dav_sources, imports, merges, sources
from api.services.health import nightly_status


@get("/api/merge-suggestions")
async def list_suggestions(request: Request[Any, Any, Any]) -> list[SuggestionOut]:
    return await merges.list_suggestions(current_user(request).id)


@post("/api/merge-suggestions/{suggestion_id:int}/merge", status_code=200)
async def merge(
    suggestion_id: IdPath, data: JSONBody[MergeIn], request: Request[Any, Any, Any]
) -> MergedOut:
    user = current_user(request)
    undo_id = await merges.merge(user, suggestion_id, data.keep_id, now(request))
    return MergedOut(await contacts.get_contact(user.id, data.keep_id), undo_id)


@post("/api/merge-suggestions/{suggestion_id:int}/dismiss", status_code=200)
async def dismiss(suggestion_id: IdPath, request: Request[Any, Any, Any]) -> dict[str, bool]:
    await merges.dismiss(current_user(request).id, suggestion_id, now(request))
    return {"ok": True}


@post("/api/merges/{undo_id:int}/undo", status_code=200)
async def undo(
    undo_id: IdPath, request: Request[Any, Any, Any], data: JSONBody[UndoIn | None] = None
) -> UndoneOut:
    """409 naming the fields edited since the merge, unless `discard_edits` (the body is
    optional)."""
    discard = data is not None and data.discard_edits
    lost = await merges.undo_merge(
        current_user(request), undo_id, now(request), discard_edits=discard
    )
    return UndoneOut(ok=True, discarded=lost)


@get("/api/sources")
async def list_sources(request: Request[Any, Any, Any]) -> list[SourceOut]:
    return await sources.list_sources(current_user(request).id)


@post("/api/sources")
async def create_source(data: JSONBody[SourceIn], request: Request[Any, Any, Any]) -> SourceOut:
    user = current_user(request)
    roots = settings(request).folder_roots(user.id)
    return await sources.create_source(
        user.id,
        data.kind,
        data.location,
        data.format,
        data.label,
        roots,
        username=data.username,
        password=data.password,
        collections=data.collections,
    )


@post("/api/sources/test", status_code=200)
async def test_source(
    data: JSONBody[SourceTestIn], request: Request[Any, Any, Any]
) -> SourceTestOut:
    """CardDAV/CalDAV "Test connection": the collections found, or the reason it failed."""
    current_user(request)
    return await dav_sources.test_connection(data.kind, data.location, data.username, data.password)


@patch("/api/sources/{source_id:int}")
async def update_source(
    source_id: IdPath, data: JSONBody[SourceUpdateIn], request: Request[Any, Any, Any]
) -> SourceOut:
    """A new label, or a DAV account's password re-entered (after "re-enter the password")."""
    return await sources.update_source(
        current_user(request).id, source_id, label=data.label, password=data.password
    )


@delete("/api/sources/{source_id:int}", status_code=200)
async def delete_source(source_id: IdPath, request: Request[Any, Any, Any]) -> dict[str, bool]:
    await sources.delete_source(current_user(request).id, source_id)
    return {"ok": True}


@post("/api/sources/{source_id:int}/run", status_code=202)
async def run_source(
    source_id: IdPath, request: Request[Any, Any, Any]
) -> Response[ImportReportOut]:
    """A queued job (api/jobs/): 202 with the ImportRun, "queued" or "running", and its Location
    to poll. A second "run now" while one still waits answers with that one (no turn spent);
    otherwise at most one run a minute per source: each is a fetch (outbound) and an import."""
    user = current_user(request)
    at = now(request)
    jobs: Jobs = request.app.state.jobs
    waiting = await background.queued_source_run(user.id, source_id, at)
    if waiting is not None:
        return accepted(waiting)
    cooldown = request.app.state.source_run_cooldown
    wait = cooldown.start((user.id, source_id))
    if wait:
        raise TooManyRequests(
            f"this source ran a moment ago; try again in {wait} seconds", retry_after=wait
        )
    try:
        report = await background.queue_source_run(user, source_id, at)
    except NotFound:
        cooldown.release((user.id, source_id))  # nothing ran
        raise
    try:
        await jobs.run_source(user.id, source_id, report.id)
    except AlreadyQueued:  # another request queued one between our check and now
        await background.drop_run(report.id)
        waiting = await background.queued_source_run(user.id, source_id, at)
        if waiting is None:  # its job has started meanwhile: report that one's state
            raise TooManyRequests("this source is running now; try again later") from None
        return accepted(waiting)
    except Exception:  # the queue is unreachable: leave no run waiting for nothing
        await background.drop_run(report.id)
        raise
    return accepted(await imports.get_report(user.id, report.id))


@get("/api/nightly")
async def nightly(request: Request[Any, Any, Any]) -> dict[str, object]:
    current_user(request)
    return await nightly_status(now(request), current_user(request).id)
