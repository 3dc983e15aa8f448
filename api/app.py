"""create_app(settings, clock): routes, error mapping, sessions, CSRF, the PWA and the DB lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi.config import OpenAPIConfig
from litestar.static_files import create_static_files_router

from api import db, outbound, secrets_box
from api.app_hot import HotPaths
from api.app_hot_write import HotWrites
from api.auth import session_auth
from api.clock import Clock, system_clock
from api.db.session_store import DatabaseStore
from api.errors import ServiceError
from api.jobs.background import Jobs
from api.jobs.inprocess import InProcessJobs, InProcessRunner
from api.routes import ROUTES
from api.routes.web import memory_answer
from api.security import Cooldown, ImportThrottle, LoginThrottle
from api.services.health import health_report
from api.services.health_state import HealthState
from api.settings import Settings

SOURCE_RUN_COOLDOWN_SECONDS = 60  # "run now" on one source: at most once a minute
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
log = logging.getLogger("kith")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"
)


def _error(status: int, message: str) -> Response[dict[str, str]]:
    return Response({"error": message}, status_code=status)


def service_error(_: Request[Any, Any, Any], exc: ServiceError) -> Response[dict[str, str]]:
    return Response({"error": exc.message}, status_code=exc.status_code, headers=exc.headers)


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    details = exc.extra if isinstance(exc.extra, list) else []
    parts = [
        f"{d.get('key') or 'body'}: {d.get('message')}" for d in details if isinstance(d, dict)
    ]
    message = "; ".join(parts) or exc.detail or "invalid request"
    return _error(400, f"invalid request: {message}")


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    message = exc.detail or "error"
    if isinstance(exc, NotAuthorizedException):
        message = "sign in first"
    elif exc.status_code == 413:
        limit = request.app.state.settings.max_upload_bytes // (1024 * 1024)
        message = f"the upload is larger than the {limit} MB limit"
    return Response({"error": message}, status_code=exc.status_code, headers=exc.headers)


def redact(path: str) -> str:
    """Feed URLs carry the secret token in the path: never write it to a log."""
    return re.sub(r"^/feed/[^/]+/", "/feed/<token>/", path)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, redact(request.url.path))
    return _error(500, "internal error; the details are in the server log")


SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CSP.encode()),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


async def security_headers(message: Any, scope: Any) -> None:
    """On every response, error pages and static files included (an after_request hook only
    sees handler responses): set each header unless the response chose its own."""
    if message.get("type") != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
    message["headers"] = headers


ERROR_STATUSES = {
    400: "invalid request",
    401: "not signed in",
    403: "CSRF token missing or wrong",
    404: "not found, or not yours",
    409: "conflict",
    413: "upload too large",
    429: "too many requests",
}


def document_errors(handlers: list[Any]) -> None:
    """Every /api error is `{"error": ...}` (mapped once, above); say so in the OpenAPI schema
    instead of Litestar's default shape."""
    from litestar.openapi.datastructures import ResponseSpec

    from api.schemas import ErrorOut

    for handler in handlers:
        if not getattr(handler, "include_in_schema", True):
            continue
        specs = dict(getattr(handler, "responses", None) or {})
        for status, text in ERROR_STATUSES.items():
            specs.setdefault(status, ResponseSpec(data_container=ErrorOut, description=text))
        handler.responses = specs


def start_nightly(settings: Settings, clock: Clock, jobs: Jobs) -> asyncio.Task[None]:
    """The nightly job inside `kith serve`: on SQLite the in-process runner (the one "run now"
    and large uploads use, so they share its per-user locks); on PostgreSQL (only with
    KITH_RUN_SCHEDULER=1) one embedded queue worker, serialised with every other worker."""
    if isinstance(jobs, InProcessJobs):
        return asyncio.create_task(jobs.runner.run_forever())
    from api.jobs.queue import run_worker

    return asyncio.create_task(run_worker(settings, clock, 1, signals=False))


def background_jobs(settings: Settings, clock: Clock) -> Jobs:
    """Who runs "run now" and large uploads: the queue's workers on PostgreSQL, this process on
    SQLite (whatever KITH_RUN_SCHEDULER says: there is no one else to run them)."""
    if settings.engine == "postgres":
        from api.jobs.queue import QueueJobs

        return QueueJobs(settings, clock)
    return InProcessJobs(InProcessRunner(settings, clock))


GZIP_LEVEL = (
    5  # not Litestar's 9: half the CPU per answer (25 KB of JSON: 0.68 -> 0.38 ms), ~12% more bytes
)
GZIP_MINIMUM = 1000


class KithApp(Litestar):
    """Litestar, with the service worker and the manifest answered from memory before the
    middleware stack (api/routes/web.py says why and what the answer holds), and the signed-in
    reads of every page load and its two commonest writes answered directly when nothing about
    them is unusual (api/app_hot.py and api/app_hot_write.py say why and when)."""

    hot: HotPaths | None = None
    hot_writes: HotWrites | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            answer = memory_answer(scope, SECURITY_HEADERS, GZIP_LEVEL, GZIP_MINIMUM)
            if answer is not None:
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            if self.hot is not None and await self.hot.answer(scope, send):
                return
            if self.hot_writes is not None and scope["method"] in ("POST", "PATCH"):
                receive = await self.hot_writes.answer(scope, receive, send)
                if receive is None:
                    return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    migrate_on_start: bool = True,
    start_scheduler: bool | None = None,
    freeze_heap: bool = False,
) -> Litestar:
    settings = (settings or Settings.from_env()).with_secret()
    clock = clock or system_clock
    db.configure(settings)
    outbound.configure(outbound.policy_from(settings))
    secrets_box.configure(settings.secret_key)
    run_scheduler = settings.serve_runs_nightly if start_scheduler is None else start_scheduler
    health = HealthState(health_report)
    jobs = background_jobs(settings, clock)

    def seconds() -> float:
        """The app's clock for the throttles' delays (a test's clock stands still)."""
        return clock().timestamp()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.start_pool(settings)
        if migrate_on_start:
            await db.migrate()
        from api.services.nightly import close_interrupted

        await close_interrupted(clock())  # runs and imports a dead process left "running"
        if isinstance(jobs, InProcessJobs):
            await jobs.resume()  # on PostgreSQL the queue keeps them; in-process they died
        nightly_task = None
        if run_scheduler:
            nightly_task = start_nightly(settings, clock, jobs)
        if freeze_heap:
            freeze_startup_heap()
        try:
            yield
        finally:
            if nightly_task is not None:
                nightly_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await nightly_task
            await jobs.close()
            await health.close()
            await db.close_pool()

    handlers: list[Any] = list(ROUTES)
    document_errors(handlers)
    if WEB_DIR.exists():
        handlers.append(
            create_static_files_router(
                path="/",
                directories=[WEB_DIR],
                html_mode=True,
                name="web",
                include_in_schema=False,
                opt={"skip_session": True},
            )
        )
    app = KithApp(
        route_handlers=handlers,
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "clock": clock,
                "login_throttle": LoginThrottle(
                    settings.login_attempts_per_window,
                    settings.login_window_seconds,
                    clock=seconds,
                ),
                "source_run_cooldown": Cooldown(SOURCE_RUN_COOLDOWN_SECONDS, clock=seconds),
                "import_throttle": ImportThrottle(settings.imports_per_hour),
                "feed_cache": {},
                "health": health,
                "jobs": jobs,
            }
        ),
        on_app_init=[session_auth(settings.secure_cookies).on_app_init],
        stores={"sessions": DatabaseStore()},
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            exclude=["^/api/auth/login$", "^/feed/", "^/health$"],
        ),
        compression_config=CompressionConfig(
            backend="gzip",
            minimum_size=GZIP_MINIMUM,
            exclude="^/feed/",
            gzip_compress_level=GZIP_LEVEL,
        ),
        openapi_config=OpenAPIConfig(title="Kith", version="0.1.0", path="/schema"),
        exception_handlers={
            ServiceError: service_error,
            ValidationException: validation_error,
            HTTPException: http_error,
            Exception: internal_error,
        },
        before_send=[security_headers],
        request_max_body_size=settings.max_upload_bytes,
        debug=False,
    )
    app.hot = HotPaths(
        clock,
        lambda: app.stores.get("sessions"),
        SECURITY_HEADERS,
        GZIP_LEVEL,
        GZIP_MINIMUM,
        settings,
        app.state.feed_cache,
    )
    assert app.csrf_config is not None
    app.hot_writes = HotWrites(app.hot, app.csrf_config, settings.max_upload_bytes)
    return app


def freeze_startup_heap() -> None:
    """Move every object alive after start-up (modules, Litestar's routes and signature models,
    icalendar's tables: ~120,000 objects) out of the cyclic collector's reach (`gc.freeze`).
    Why: a full collection walks the whole heap on the event loop's one thread; under the load
    test it came every few seconds and stopped every request for ~100 ms, the largest single
    pause of the run, while the objects it walked live as long as the process anyway. Frozen,
    a full collection walks only what was made since (~5 ms). Only `kith serve` asks for it:
    a test process makes many apps and must collect them."""
    gc.collect()
    gc.freeze()


def app_from_env() -> Litestar:
    """Factory for `uvicorn --factory api.app:app_from_env` (several worker processes): each
    worker reads its settings from the environment. Lives here, not in api/settings.py, so
    that settings (imported by everything) imports nothing of the app: no import cycle."""
    return create_app(Settings.from_env(), freeze_heap=True)
