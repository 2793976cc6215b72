"""The FastAPI application: routers, error mapping, the background deadline scanner."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ticketing import errors
from ticketing.auth.call_actions import router as call_actions_router
from ticketing.auth.passwords import router as passwords_router
from ticketing.auth.throttle import LoginThrottle
from ticketing.auth.views import router as auth_router
from ticketing.callbacks.dial import router as dial_router
from ticketing.callbacks.views import router as callbacks_router
from ticketing.context import Context
from ticketing.database import make_engine, request_slots, session_factory, utcnow
from ticketing.elders.sos import sos_router
from ticketing.elders.views import router as elders_router
from ticketing.guard import RequestGuard
from ticketing.intake.views import router as intake_router
from ticketing.kb.views import router as kb_router
from ticketing.metrics import figures as service_figures
from ticketing.missed.views import router as missed_router
from ticketing.orders.attachments import router as attachments_router
from ticketing.orders.inbox import router as inbox_router
from ticketing.orders.views import progress_router
from ticketing.orders.views import router as orders_router
from ticketing.orgs.admin import router as orgs_admin_router
from ticketing.orgs.views import router as orgs_router
from ticketing.recordings.files import Retention, disk_room
from ticketing.recordings.views import purge_expired
from ticketing.recordings.views import router as recordings_router
from ticketing.reports.views import router as reports_router
from ticketing.settings import TicketingSettings
from ticketing.supervision import service as supervision
from ticketing.supervision.views import router as supervision_router
from yht.metrics import exposition

log = logging.getLogger("ticketing")

DESCRIPTION = """一号通工单服务 — the work-order loop of the citizen-service hotline:
受理 intake → 立案 case → 派遣 dispatch → 处置 processing → 反馈 feedback →
核实结案 close → 评价 evaluation, with supervision (督办) of late work orders and a
callback (回访) after every close. Authenticate with `POST /auth/token`, then send
`Authorization: Bearer <token>`."""


def create_app(
    settings: TicketingSettings | None = None,
    engine: Engine | None = None,
    scan_in_background: bool = True,
) -> FastAPI:
    settings = settings or TicketingSettings()
    if not settings.caller_hash_key:
        # an unkeyed hash of a phone number is the number to anyone with a loop
        raise RuntimeError("YHT_CALLER_HASH_KEY is not set: the service will not start without it")
    engine = engine or make_engine(
        settings.database_url,
        connect_timeout_s=settings.db_connect_timeout_s,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        if scan_in_background and settings.scan_interval_s > 0:
            task = asyncio.create_task(_scan_forever(app, settings.scan_interval_s))
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # FastAPIOffline: the /docs and /redoc pages with their scripts served
    # from the package, not a CDN (a hotline's network has no internet)
    app = FastAPIOffline(
        title="Yihaotong work orders (一号通工单)",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.db_slots = asyncio.Semaphore(request_slots(engine))
    app.state.db_waiting = 0
    app.state.context = Context.build(settings)
    app.state.login_throttle = LoginThrottle(
        settings.login_attempts_per_address, settings.login_failures_per_account,
        settings.password_checks, settings.password_wait_s,
    )  # fmt: skip
    errors.install(app)
    # inside CORS, so a refused request still carries the CORS headers
    app.add_middleware(RequestGuard, max_json_bytes=settings.max_json_bytes,
                       max_upload_bytes=settings.max_attachment_bytes)  # fmt: skip
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[o.strip() for o in settings.desk_origins.split(",") if o.strip()],
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
    )
    for router in (
        auth_router,
        call_actions_router,
        passwords_router,
        orders_router,
        attachments_router,
        inbox_router,
        callbacks_router,
        dial_router,
        supervision_router,
        intake_router,
        kb_router,
        orgs_router,
        orgs_admin_router,
        progress_router,
        missed_router,
        recordings_router,
        reports_router,
        elders_router,
        sos_router,
    ):
        app.include_router(router, responses=errors.ERROR_RESPONSES)

    @app.get("/metrics", include_in_schema=False, response_class=Response)
    def metrics() -> Response:
        """Prometheus, read from the database when scraped."""
        with app.state.sessions() as db_session:
            numbers = service_figures(db_session)
        body, kind = exposition(lambda: numbers)
        return Response(body, media_type=kind)

    @app.get("/health", tags=["health"], responses={503: errors.ERROR_RESPONSES[503]})
    def health() -> dict:
        """Liveness, database reachability and room for recordings, for
        `make run` and monitoring."""
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        # requests waiting for one of the request slots (ticketing/database.py)
        body: dict = {"status": "ok", "database": engine.dialect.name,
                      "requests_waiting": app.state.db_waiting}  # fmt: skip
        if settings.recordings_dir:
            room = disk_room(Path(settings.recordings_dir), settings.recordings_min_free_mb)
            body["recordings_disk"] = room
            if not room["ok"]:
                body["status"] = "degraded"
        return body

    return app


async def _scan_forever(app: FastAPI, interval: float) -> None:
    while True:
        try:
            await asyncio.to_thread(_scan_once, app)
        except Exception:  # a failed scan (database down) is retried next round
            log.exception("deadline scan failed")
        await asyncio.sleep(interval)


def _scan_once(app: FastAPI) -> None:
    with app.state.sessions.begin() as db_session:
        supervision.scan(db_session=db_session, ctx=app.state.context, now=utcnow())
    settings = app.state.context.settings
    if settings.recordings_dir:
        room = disk_room(Path(settings.recordings_dir), settings.recordings_min_free_mb)
        if not room["ok"]:
            log.error("recordings disk %s: %s MB free, below %d MB: the next recordings may be "
                      "cut short; free space or shorten the retention", settings.recordings_dir,
                      room["free_mb"], settings.recordings_min_free_mb)  # fmt: skip
        with app.state.sessions.begin() as db_session:
            purged = purge_expired(db_session, Path(settings.recordings_dir),
                                   Retention.parse(settings.recording_retention))  # fmt: skip
        if purged:
            log.info("retention: %d recordings purged", purged)
