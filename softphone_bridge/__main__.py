"""`python -m softphone_bridge`: the websockets bridge on loopback."""

from __future__ import annotations

import asyncio
import logging
import signal

import httpx
from redis.asyncio import Redis
from websockets.asyncio.server import serve

from softphone_bridge.pages import page_server
from softphone_bridge.server import Bridge
from softphone_bridge.settings import BridgeSettings
from yht import logs
from yht.metrics import exposition, supervised
from yht.supervise import Supervisor

log = logging.getLogger("bridge")


async def run(settings: BridgeSettings) -> None:
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=settings.http_timeout_s,
                           health_check_interval=30)  # fmt: skip
    async with httpx.AsyncClient(timeout=settings.http_timeout_s) as http:
        bridge = Bridge(settings, redis, http)
        await bridge.load_state()
        supervisor = Supervisor("bridge")
        supervisor.start("follow", bridge.follow)
        supervisor.start("alarms", bridge.watch_alarms)
        supervisor.start("recheck", bridge.recheck_sessions)

        def health() -> dict:
            return {"ok": supervisor.healthy(), "tasks": supervisor.health(),
                    "pages": len(bridge.sessions), "resnapshots": bridge.resnapshots}  # fmt: skip

        def metrics() -> tuple[bytes, str]:
            roles: dict[str, int] = {}
            for session in bridge.sessions:
                roles[session.role] = roles.get(session.role, 0) + 1
            return exposition(lambda: {
                **supervised("bridge", supervisor),
                "yht_bridge_pages": ("gauge", "pages connected, per role",
                                     [({"role": r}, float(n)) for r, n in roles.items()]),
                "yht_bridge_resnapshots": ("counter", "fresh snapshots after a lost feed",
                                           [({}, float(bridge.resnapshots))]),
            })  # fmt: skip

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with serve(bridge.handler, settings.host, settings.port, max_size=64 * 1024,
                         origins=settings.allowed_origins(),
                         process_request=page_server(settings.ticketing_url, health,
                                                     metrics)):  # fmt: skip
            log.info("bridge on ws://%s:%d/ (pages /desk, /seatmap)", settings.host, settings.port)
            await stop.wait()
        await supervisor.stop()
    await redis.aclose()


def main() -> None:
    logs.setup()
    asyncio.run(run(BridgeSettings()))


if __name__ == "__main__":
    main()
