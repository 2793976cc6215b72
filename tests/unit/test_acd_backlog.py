"""The ACD's AMI event queue is bounded: when its loop falls behind (seen in
a soak after the ACD was stopped for a minute) the events past the bound
are dropped and counted, a resync is started, and the drops are logged one
line per thousand — a line per event, hundreds a second, slowed the very
loop that was behind."""

from __future__ import annotations

import asyncio
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


async def test_deliveries_wait_while_events_back_up_and_go_on_once_handled():
    """The outbox is durable, the event queue is not: while more than
    EVENTS_HIGH_WATER events wait, a delivery waits; it goes on once the
    queue is down to EVENTS_LOW_WATER."""
    from acd.runner import EVENTS_HIGH_WATER, EVENTS_LOW_WATER

    redis = Redis.from_url("redis://127.0.0.1:1/0")
    runner = AcdRunner(AcdSettings(event_queue_size=1000), redis, redis)
    handled: list[str] = []

    async def on_event(event) -> None:
        handled.append(event["Uniqueid"])
        await asyncio.sleep(0)

    runner.acd.on_event = on_event  # type: ignore[method-assign]
    worker = None
    try:
        await asyncio.wait_for(runner.events_first(), 1)  # nothing waits: at once
        for n in range(EVENTS_HIGH_WATER + 50):
            runner._enqueue(None, {"Event": "Hangup", "Uniqueid": str(n)})
        delivery = asyncio.create_task(runner.events_first())
        await asyncio.sleep(0.1)
        assert not delivery.done()  # paused: events back up, none handled yet
        worker = asyncio.create_task(runner._work())
        await asyncio.wait_for(delivery, 5)
        # it went on when the queue was down to the low mark, not before
        assert runner._events.qsize() <= EVENTS_LOW_WATER
        assert len(handled) >= EVENTS_HIGH_WATER + 50 - EVENTS_LOW_WATER - 1
    finally:
        if worker is not None:
            worker.cancel()
        await runner.http.aclose()
        await redis.aclose()
