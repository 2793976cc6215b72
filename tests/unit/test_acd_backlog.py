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


async def test_a_resync_that_fails_while_ami_is_up_is_tried_again_until_it_succeeds(caplog):
    """Found by the ninth day: the ACD logged in to an Asterisk still booting
    after its restart, QueueStatus went unanswered, the resync gave up "until
    the next login" — which never came — and the ACD kept every seat ready in
    an Asterisk with no queue member: every later caller abandoned."""
    from acd.ami import AmiError
    from acd.health import health

    redis = Redis.from_url("redis://127.0.0.1:1/0")
    runner = AcdRunner(AcdSettings(), redis, redis)
    runner.manager.ami_up = True
    tries: list[bool] = []
    seen_failing: list[bool] = []

    async def resync() -> None:
        tries.append(True)
        seen_failing.append(runner.resync_failing)
        if len(tries) < 3:
            raise AmiError("QueueStatus: Asterisk 未在 10 秒内应答")

    async def reconcile_sos() -> None:
        return None

    async def backlog() -> dict[str, int]:
        return {}

    runner.acd.resync = resync  # type: ignore[method-assign]
    runner.acd.reconcile_sos = reconcile_sos  # type: ignore[method-assign]
    runner.backlog = backlog  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.WARNING, logger="acd"):
            await asyncio.wait_for(runner.resync(first_retry_s=0.01), 5)
        assert len(tries) == 3 and runner.resyncs == 1
        assert seen_failing == [False, True, True]  # /health said so meanwhile
        assert not runner.resync_failing
        assert (await health(runner))["resync_failing"] is False
        assert sum("again in" in r.getMessage() for r in caplog.records) == 2
        # the session dropped: no retry here, the next login resyncs
        runner.manager.ami_up = False
        tries.clear()
        await asyncio.wait_for(runner.resync(first_retry_s=0.01), 5)
        assert len(tries) == 1 and runner.resyncs == 1
    finally:
        await runner.http.aclose()
        await redis.aclose()
