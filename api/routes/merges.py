"""Merge suggestions and nightly sources."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post
from litestar.params import JSONBody

from api.routes.deps import IdPath, current_user, now, settings
from api.schemas import ImportReportOut, MergedOut, MergeIn, SourceIn, SourceOut, SuggestionOut
from api.services import contacts, merges, sources
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
async def undo(undo_id: IdPath, request: Request[Any, Any, Any]) -> dict[str, bool]:
    await merges.undo_merge(current_user(request), undo_id, now(request))
    return {"ok": True}


@get("/api/sources")
async def list_sources(request: Request[Any, Any, Any]) -> list[SourceOut]:
    return await sources.list_sources(current_user(request).id)


@post("/api/sources")
async def create_source(data: JSONBody[SourceIn], request: Request[Any, Any, Any]) -> SourceOut:
    user = current_user(request)
    roots = settings(request).folder_roots(user.id)
    return await sources.create_source(
        user.id, data.kind, data.location, data.format, data.label, roots
    )


@delete("/api/sources/{source_id:int}", status_code=200)
async def delete_source(source_id: IdPath, request: Request[Any, Any, Any]) -> dict[str, bool]:
    await sources.delete_source(current_user(request).id, source_id)
    return {"ok": True}


@post("/api/sources/{source_id:int}/run", status_code=200)
async def run_source(source_id: IdPath, request: Request[Any, Any, Any]) -> ImportReportOut:
    user = current_user(request)
    roots = settings(request).folder_roots(user.id)
    return await sources.run_source(user, source_id, now(request), roots)


@get("/api/nightly")
async def nightly(request: Request[Any, Any, Any]) -> dict[str, object]:
    current_user(request)
    return await nightly_status(now(request), current_user(request).id)
