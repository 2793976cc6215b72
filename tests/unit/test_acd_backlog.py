"""The ACD's AMI event queue is bounded: when its loop falls behind (seen in
a soak after the ACD was stopped for a minute) the events past the bound
are dropped and counted, a resync is started, and the drops are logged one
line per thousand — a line per event, hundreds a second, slowed the very
loop that was behind."""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from acd.runner import AcdRunner
from acd.settings import AcdSettings


async def test_a_full_event_queue_drops_counts_resyncs_and_logs_once_per_thousand(caplog):
    redis = Redis.from_url("redis://127.0.0.1:1/0")  # never used: nothing connects
    runner = AcdRunner(AcdSettings(event_queue_size=3), redis, redis)
    resyncs = []

    async def resync() -> None:
        resyncs.append(runner.events_dropped)

    runner.resync = resync  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.ERROR, logger="acd"):
            for n in range(2005):
                runner._enqueue(None, {"Event": "Hangup", "Uniqueid": str(n)})
            for task in list(runner._background):
                await task
        assert runner._events.qsize() == 3
        assert runner.events_dropped == 2002
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 3 and "2001 events dropped" in errors[-1].getMessage()
        assert len(resyncs) == 3  # one resync per thousand drops
    finally:
        await runner.http.aclose()
        await redis.aclose()
