"""`python -m acd`: the queue controller and its HTTP API, in one asyncio process."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from redis.asyncio import Redis

from acd.http import build_app
from acd.runner import AcdRunner
from acd.settings import AcdSettings
from yht import logs


async def serve(settings: AcdSettings) -> None:
    bounds: dict[str, Any] = {
        "socket_timeout": settings.redis_timeout_s,
        "socket_connect_timeout": settings.redis_timeout_s,
        "health_check_interval": 30,
    }
    redis = Redis.from_url(settings.redis_url, **bounds)
    outbox_redis = Redis.from_url(settings.outbox_redis_url, **bounds)
    runner = AcdRunner(settings, redis, outbox_redis)
    await runner.start()
    config = uvicorn.Config(build_app(runner, settings.api_token), host=settings.http_host,
                            port=settings.http_port, log_level="warning")  # fmt: skip
    try:
        await uvicorn.Server(config).serve()
    finally:
        await runner.stop()
        await redis.aclose()
        await outbox_redis.aclose()


def main() -> None:
    logs.setup()
    asyncio.run(serve(AcdSettings()))


if __name__ == "__main__":
    main()
