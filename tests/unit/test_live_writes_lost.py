"""A live-Redis write that fails never breaks the event being handled (found
by the eleventh day: the live Redis restarted during an AgentConnect, the
handler stopped half-way, the seat stayed "ringing" in the ACD's picture and
its desk never took the call, so no work order was written). The store
counts the lost write and marks itself stale; the runner writes the whole
picture back, the pops published again, once Redis answers."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from acd.runner import AcdRunner
from acd.settings import AcdSettings
from tests.unit.test_acd import MemoryStore
from tests.unit.test_pop_again import CONTEXT, offers


async def test_a_call_is_taken_up_while_the_live_redis_is_away_and_sent_once_it_is_back():
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)  # refused
    runner = AcdRunner(AcdSettings(), redis, redis)
    acd = runner.acd
    try:
        await acd.on_event({"Event": "QueueMemberAdded", "Queue": "hotline",
                            "Interface": "PJSIP/agent1002", "Paused": "0"})  # fmt: skip
        await acd.on_event({"Event": "AgentCalled", "Queue": "hotline", "Uniqueid": "1795.9",
                            "Interface": "PJSIP/agent1002", "ChanVariable": CONTEXT})  # fmt: skip
        await acd.on_event({"Event": "AgentConnect", "Queue": "hotline", "Uniqueid": "1795.9",
                            "Interface": "PJSIP/agent1002", "HoldTime": "3",
                            "ChanVariable": CONTEXT})  # fmt: skip
        seat = acd.seat("1002")
        assert (seat.state, seat.call_id) == ("talking", "1795.9")  # the picture is right
        assert acd.offered("1002", "1795.9")
        assert acd.store.stale and acd.store.lost_writes >= 3
        assert acd.queues["hotline"].answered == 1

        # Redis answers again: the picture is written back once, pops sent again
        rewrites: list[bool] = []

        async def exists(_key: str) -> int:
            return 1  # not emptied: only the writes were lost

        async def rewrite_store(publish_offers: bool = False) -> None:
            rewrites.append(publish_offers)

        async def set_marker(*_args) -> None:
            return None

        runner.redis.exists = exists  # type: ignore[method-assign]
        runner.redis.set = set_marker  # type: ignore[method-assign]
        acd.rewrite_store = rewrite_store  # type: ignore[method-assign]
        watcher = asyncio.create_task(runner._watch_live_redis(interval_s=0.01))
        for _ in range(100):
            if len(rewrites) and not acd.store.stale:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # a stale store is written back once, not on every turn
        watcher.cancel()
        assert rewrites == [True] and not acd.store.stale
    finally:
        await runner.http.aclose()
        await redis.aclose()


async def test_written_back_after_lost_writes_the_pop_is_sent_again():
    from tests.unit.test_acd import controller

    acd, _, store = controller()
    await acd.on_event({"Event": "AgentCalled", "Queue": "hotline", "Uniqueid": "1795.9",
                        "Interface": "PJSIP/agent1002", "ChanVariable": CONTEXT})  # fmt: skip
    acd.store = fresh = MemoryStore()  # what reaches the bridge after the outage
    await acd.rewrite_store(publish_offers=True)
    [offer] = offers(fresh)
    assert (offer["agent_id"], offer["call_id"]) == ("1002", "1795.9")
    assert len(offers(store)) == 1
