"""/api/imports: upload an export (multipart), read the reports; people met in calendars.

An upload up to KITH_IMPORT_INLINE_MAX_BYTES imports in the request (201, the report); a larger
one is a queued job (202, the ImportRun to poll at its Location)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body

from api.errors import BadRequest, TooManyRequests
from api.jobs.background import Jobs
from api.routes.deps import IdPath, accepted, current_user, now, settings
from api.schemas import ImportReportOut, MetPersonOut
from api.services import background, contacts, imports, meetings
from pipeline.formats.dispatch import FORMAT_CHOICES


@dataclass
class UploadForm:
    file: UploadFile
    format: str = "auto"


@post("/api/imports")
async def upload_import(
    data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    request: Request[Any, Any, Any],
) -> Response[ImportReportOut]:
    user = current_user(request)
    if not request.app.state.import_throttle.allow(user.id):
        raise TooManyRequests("too many imports in the last hour; try again later")
    if data.format not in FORMAT_CHOICES:
        raise BadRequest(f"format must be one of {', '.join(FORMAT_CHOICES)}")
    raw = await data.file.read()
    filename = data.file.filename or "upload"
    config = settings(request)
    if len(raw) > config.import_inline_max_bytes:
        # Too large to hold the request for: stored, imported by a job; the client polls.
        queued = await background.queue_upload(
            user, raw, filename, data.format, now(request), config
        )
        jobs: Jobs = request.app.state.jobs
        try:
            await jobs.import_upload(user.id, queued.id, filename, data.format)
        except Exception:  # the queue is unreachable: leave no run waiting for nothing
            await background.drop_run(queued.id, config)
            raise
        return accepted(await imports.get_report(user.id, queued.id))
    report = await imports.import_file(
        user, raw, filename=filename, now=now(request), fmt=data.format
    )
    return Response(report, status_code=201)


@get("/api/imports")
async def list_imports(request: Request[Any, Any, Any]) -> list[ImportReportOut]:
    return await imports.list_reports(current_user(request).id, now=now(request))


@get("/api/imports/{run_id:int}")
async def get_import(run_id: IdPath, request: Request[Any, Any, Any]) -> ImportReportOut:
    return await imports.get_report(current_user(request).id, run_id)


@get("/api/people-you-meet")
async def people_you_meet(request: Request[Any, Any, Any]) -> list[MetPersonOut]:
    return await meetings.people_you_meet(current_user(request).id)


@post("/api/people-you-meet/{met_id:int}/add", status_code=201)
async def add_met_person(met_id: IdPath, request: Request[Any, Any, Any]) -> Any:
    user = current_user(request)
    contact_id = await meetings.add_met_person(user, met_id, now(request))
    return await contacts.get_contact(user.id, contact_id)


@post("/api/people-you-meet/{met_id:int}/dismiss", status_code=200)
async def dismiss_met_person(met_id: IdPath, request: Request[Any, Any, Any]) -> dict[str, bool]:
    await meetings.dismiss_met_person(current_user(request).id, met_id)
    return {"ok": True}
