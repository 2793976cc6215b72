"""python -m agi -- run the FastAGI server (settings: YHT_AGI_*)."""

from __future__ import annotations

import asyncio
import logging
import signal

from agi.call_setup import call_setup
from agi.callers import CallerHistory
from agi.channel import AgiChannel
from agi.ivr_entry import (
    IvrDeps,
    IvrOutcome,
    ivr_entry,
    order_progress,
    order_service_unavailable,
)
from agi.orders import WorkOrderLookup
from agi.server import FastAgiServer, Report
from agi.server import figures as agi_figures
from agi.settings import AgiSettings
from ivr.menu import load_menu
from yht import logs
from yht.metrics import serve_metrics

log = logging.getLogger("agi")


def build_server(settings: AgiSettings) -> tuple[FastAgiServer, IvrDeps]:
    lookup = (
        WorkOrderLookup(
            settings.ticketing_url, settings.ivr_api_token, settings.ticketing_timeout_s
        )
        if settings.ivr_api_token
        else order_service_unavailable
    )
    deps = IvrDeps(
        menu=load_menu(settings.menu_file, settings.prompts_file),
        callers=CallerHistory.from_url(
            settings.redis_url, settings.caller_hash_key, settings.redis_timeout_s
        ),
        order_lookup=lookup,
    )
    server = FastAgiServer(settings.call_deadline_s, settings.header_timeout_s)

    async def ivr_entry_route(channel: AgiChannel, report: Report) -> None:
        report.outcome = outcome = IvrOutcome()
        await ivr_entry(channel, deps, outcome)

    async def order_progress_route(channel: AgiChannel, report: Report) -> None:
        report.outcome = outcome = IvrOutcome()
        await order_progress(channel, deps, outcome)

    async def call_setup_route(channel: AgiChannel, report: Report) -> None:
        report.outcome = outcome = IvrOutcome()
        await call_setup(channel, deps, outcome)

    server.add_endpoint("ivr_entry", ivr_entry_route)
    server.add_endpoint("order_progress", order_progress_route)
    server.add_endpoint("call_setup", call_setup_route)
    return server, deps


async def serve(settings: AgiSettings) -> None:
    server, deps = build_server(settings)
    listener = await asyncio.start_server(server.handler, settings.host, settings.port)
    log.info("FastAGI listening on %s:%d", settings.host, settings.port)
    if settings.metrics_port:
        serve_metrics(settings.metrics_port, lambda: agi_figures(server))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with listener:
        await stop.wait()
        listener.close()
        await server.drain(timeout=settings.call_deadline_s)
    await deps.callers.close()
    if isinstance(deps.order_lookup, WorkOrderLookup):
        await deps.order_lookup.close()
    log.info("FastAGI stopped after %d calls", server.calls_handled)


def main() -> None:
    logs.setup()
    asyncio.run(serve(AgiSettings()))  # type: ignore[call-arg]  # from the environment


if __name__ == "__main__":
    main()
