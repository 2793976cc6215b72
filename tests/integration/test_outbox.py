"""The durable outbox against a real redis-server with its append-only file:
nothing is lost to a Redis crash, a dead receiver or a sender that dies in
the middle of a delivery; what is refused is set aside, not dropped."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from testkit.services import RedisServer
from yht.outbox import Delivery, Outbox


class Receiver:
    """The receiving side: answers `status`, records every payload."""

    def __init__(self) -> None:
        self.status = 503
        self.got: list[dict] = []

    async def post(self, payload: bytes) -> int:
        if 200 <= self.status < 300 or self.status == 422:
            self.got.append(json.loads(payload))
        return self.status


async def until(condition, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def client(server: RedisServer) -> Redis:
    return Redis(port=server.port, socket_timeout=2, socket_connect_timeout=2)


async def test_items_survive_a_redis_crash_and_an_absent_receiver(redis_server):
    redis = client(redis_server)
    outbox = Outbox(redis, "yht:t")
    receiver = Receiver()
    for n in range(5):
        await outbox.put("missed", {"call_id": f"c{n}"})
    redis_server.kill()  # kill -9 before anything was delivered
    # while Redis is down, new items wait in memory, in order
    await outbox.put("missed", {"call_id": "c5"})  # tries Redis once, keeps it
    await outbox.put("missed", {"call_id": "c6"})  # queued behind it at once
    assert (await outbox.backlog(["missed"]))["missed"] == 2
    redis_server.start()  # the same port, the same append-only file
    await outbox.flush()
    assert (await outbox.backlog(["missed"]))["missed"] == 7
    delivery = Delivery(outbox, "missed", receiver.post, consumer="acd", max_backoff_s=0.2)
    task = asyncio.create_task(delivery.run())
    try:
        await asyncio.sleep(0.5)  # the receiver is down: nothing leaves the stream
        assert receiver.got == [] and await redis.xlen(outbox.stream("missed")) == 7
        receiver.status = 201
        await until(lambda: _done(redis, outbox, 0))
        assert [g["call_id"] for g in receiver.got] == [f"c{n}" for n in range(7)]
    finally:
        task.cancel()
        await redis.aclose()


async def _done(redis: Redis, outbox: Outbox, left: int) -> bool:
    return await redis.xlen(outbox.stream("missed")) == left


async def test_a_sender_that_dies_mid_delivery_delivers_again_on_restart(redis_server):
    redis = client(redis_server)
    outbox = Outbox(redis, "yht:t")
    await outbox.put("sos", {"call_id": "s1", "kind": "start"})
    posted = asyncio.Event()
    never = asyncio.Event()

    async def hanging_post(payload: bytes) -> int:
        posted.set()
        await never.wait()  # the process dies before the receiver answers
        return 201

    first = asyncio.create_task(Delivery(outbox, "sos", hanging_post, consumer="acd").run())
    await asyncio.wait_for(posted.wait(), 10)
    first.cancel()
    receiver = Receiver()
    receiver.status = 201
    again = asyncio.create_task(Delivery(outbox, "sos", receiver.post, consumer="acd").run())
    try:
        await until(lambda: _received(receiver, 1))
        assert receiver.got == [{"call_id": "s1", "kind": "start"}]
    finally:
        again.cancel()
        await redis.aclose()


async def _received(receiver: Receiver, count: int) -> bool:
    return len(receiver.got) >= count


async def test_a_refused_item_is_set_aside_not_dropped(redis_server):
    redis = client(redis_server)
    outbox = Outbox(redis, "yht:t")
    await outbox.put("audit", {"bad": True})
    receiver = Receiver()
    receiver.status = 422
    task = asyncio.create_task(Delivery(outbox, "audit", receiver.post, consumer="acd").run())
    try:
        await until(lambda: _rejected(redis, outbox))
        assert await redis.xlen(outbox.stream("audit")) == 0
    finally:
        task.cancel()
        await redis.aclose()


async def _rejected(redis: Redis, outbox: Outbox) -> bool:
    return await redis.xlen(outbox.stream("audit") + ":rejected") == 1


async def test_puts_while_the_flusher_runs_lose_nothing_and_raise_nothing(redis_server):
    """Found by the day (issue 15): a put's flush and keep_flushing's flush
    ran at once; each removed the buffer's head after writing its own, so an
    item could be dropped unwritten, and the handler of a Hangup event failed
    with IndexError. Items put in bursts while Redis is slow to answer (every
    put awaits its write) and the flusher runs: all written once, in order."""
    redis = client(redis_server)
    outbox = Outbox(redis, "yht:t")
    flusher = asyncio.create_task(outbox.keep_flushing(interval_s=0.001))
    try:
        for burst in range(40):
            await asyncio.gather(*(outbox.put("missed", {"call_id": f"c{burst}-{n}"})
                                   for n in range(10)))  # fmt: skip
        await until(lambda: _backlog_is(outbox, redis, 400))
        written = [json.loads(fields[b"item"])["call_id"]
                   for _, fields in await redis.xrange(outbox.stream("missed"))]  # fmt: skip
        assert written == [f"c{b}-{n}" for b in range(40) for n in range(10)]
        assert not flusher.done()  # the flusher never failed
    finally:
        flusher.cancel()
        await redis.aclose()


async def _backlog_is(outbox: Outbox, redis: Redis, count: int) -> bool:
    return not outbox._buffer and await redis.xlen(outbox.stream("missed")) == count


async def test_a_parallel_delivery_posts_a_batch_at_once_and_loses_nothing(redis_server):
    """Missed calls and ended recordings are posted a batch at once (the soak
    found one at a time falling behind 51 calls/s): several posts are in
    flight together, an item the receiver fails is posted again, one it
    refuses is set aside, and the stream ends empty with every item taken."""
    redis = client(redis_server)
    outbox = Outbox(redis, "yht:t")
    for n in range(50):
        await outbox.put("missed", {"call_id": f"c{n}"})
    taken: list[str] = []
    tried: dict[str, int] = {}
    in_flight, most = 0, 0

    async def post(payload: bytes) -> int:
        nonlocal in_flight, most
        call_id = json.loads(payload)["call_id"]
        tried[call_id] = tried.get(call_id, 0) + 1
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        if call_id == "c13":
            return 422
        if call_id.endswith("7") and tried[call_id] == 1:
            return 503  # fails once, taken the second time
        taken.append(call_id)
        return 201

    delivery = Delivery(outbox, "missed", post, consumer="acd", parallel=8)
    delivery.max_backoff_s = 0.1
    task = asyncio.create_task(delivery.run())
    try:
        await until(lambda: _received_ids(taken, 49))
        await until(lambda: _stream_empty(redis, outbox))
        assert sorted(taken) == sorted(f"c{n}" for n in range(50) if n != 13)
        assert len(taken) == 49  # each taken once: a finished item is not posted again
        assert all(tried[f"c{n}"] == 2 for n in (7, 17, 27, 37, 47))
        assert await redis.xlen(outbox.stream("missed") + ":rejected") == 1
        assert most > 1, "posts went one at a time"
        assert not task.done()
    finally:
        task.cancel()
        await redis.aclose()


async def _received_ids(taken: list[str], count: int) -> bool:
    return len(taken) >= count


async def _stream_empty(redis: Redis, outbox: Outbox) -> bool:
    return await redis.xlen(outbox.stream("missed")) == 0
