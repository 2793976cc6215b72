"""Deliver at least once: what another service must get (missed calls, SOS
timeline steps, desk call actions) goes through a Redis Stream on the
project's own Redis with an append-only file (`appendfsync always`), so it
survives a restart of Redis, of the sender and of the receiver.

- `Outbox.put` adds an item to the stream `<prefix>:outbox:<kind>`. While
  Redis cannot be reached, items wait in a bounded buffer in the process, in
  order, and are written as soon as it answers (a full buffer is logged as
  the loss it is).
- `Delivery.run` reads the stream as consumer group `delivery`: first what
  this consumer read before and did not finish (after a crash, a failed
  post), then entries another consumer left pending too long, then new ones.
  An entry is acknowledged and deleted only once the receiver answered 2xx
  (receivers are idempotent by the item's own key); a 422 moves it to
  `<stream>:rejected` for a person to look at; anything else is retried with
  a growing pause.
- `backlog()` counts what is not delivered yet, for `/health` and metrics.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger("yht.outbox")
GROUP = "delivery"


@dataclass
class Outbox:
    redis: Redis
    prefix: str
    buffer_max: int = 10_000
    _buffer: deque[tuple[str, str]] = field(default_factory=deque)
    lost: int = 0
    # one flush at a time: two (a put's and keep_flushing's) would each
    # remove the head after writing theirs, and drop an item never written
    _flushing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def stream(self, kind: str) -> str:
        return f"{self.prefix}:outbox:{kind}"

    async def put(self, kind: str, item: dict) -> None:
        payload = json.dumps(item, ensure_ascii=False)
        if len(self._buffer) >= self.buffer_max:
            self.lost += 1
            log.error("outbox buffer full (%d): a %s item is lost", self.buffer_max, kind)
            return
        self._buffer.append((kind, payload))
        if len(self._buffer) == 1:
            await self.flush()
        # else Redis is known to be away: keep_flushing writes them when it is back

    async def flush(self) -> None:
        """Write buffered items to Redis, oldest first; keep them on failure."""
        async with self._flushing:
            while self._buffer:
                kind, payload = self._buffer[0]
                try:
                    await self.redis.xadd(self.stream(kind), {"item": payload})
                except RedisError as error:
                    log.warning("outbox: Redis unavailable (%s); %d item(s) wait in memory",
                                type(error).__name__, len(self._buffer))  # fmt: skip
                    return
                self._buffer.popleft()

    async def keep_flushing(self, interval_s: float = 1.0) -> None:
        while True:
            await self.flush()
            await asyncio.sleep(interval_s)

    async def backlog(self, kinds: list[str]) -> dict[str, int]:
        """Undelivered items per kind (in Redis and waiting in memory)."""
        counts = {kind: sum(1 for k, _ in self._buffer if k == kind) for kind in kinds}
        try:
            for kind in kinds:
                counts[kind] += await self.redis.xlen(self.stream(kind))
        except RedisError:
            pass
        return counts


Post = Callable[[bytes], Awaitable[int]]


@dataclass
class Delivery:
    """One kind's deliveries: `post(payload)` returns the receiver's status."""

    outbox: Outbox
    kind: str
    post: Post
    consumer: str
    idle_ms: int = 500
    stale_ms: int = 60_000
    max_backoff_s: float = 30.0
    # posts in flight at once: 1 keeps the stream's order (SOS steps); a kind
    # whose items are independent and received idempotently (missed calls,
    # ended recordings) may post a read batch at once (bench (q): one at a
    # time fell behind 51 calls/s)
    parallel: int = 1
    delivered: int = 0
    failures: int = 0

    @property
    def stream(self) -> str:
        return self.outbox.stream(self.kind)

    async def run(self) -> None:
        redis = self.outbox.redis
        await self._ensure_group(redis)
        while True:
            try:
                entries = await self._next(redis)
                for start in range(0, len(entries), self.parallel):
                    await self._deliver(redis, entries[start : start + self.parallel])
                self.failures = 0
            except RedisError as error:
                await self._pause(f"Redis: {type(error).__name__}")
            except _Retry as retry:
                await self._pause(str(retry))

    async def _ensure_group(self, redis: Redis) -> None:
        while True:
            try:
                await redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
                return
            except ResponseError as error:
                if "BUSYGROUP" in str(error):
                    return
                raise
            except RedisError as error:
                await self._pause(f"Redis: {type(error).__name__}")

    async def _next(self, redis: Redis) -> list:
        # what this consumer read before and did not finish
        mine = _entries(await redis.xreadgroup(GROUP, self.consumer, {self.stream: "0"}, count=10))
        if mine:
            return mine
        # what another (dead) consumer left behind
        claimed = await redis.xautoclaim(self.stream, GROUP, self.consumer, self.stale_ms,
                                         start_id="0-0", count=10)  # fmt: skip
        if claimed[1]:
            return claimed[1]
        return _entries(await redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"},
                                               count=10, block=self.idle_ms))  # fmt: skip

    async def _deliver(self, redis: Redis, entries: list) -> None:
        """Post `entries` at once (one, in order, unless `parallel`); those the
        receiver took (or refused) are finished, the others stay pending and
        are posted again."""
        payloads = [_payload(fields) for _, fields in entries]
        statuses = await asyncio.gather(*(self.post(p) for p in payloads))
        done = []
        for (entry_id, _), payload, status in zip(entries, payloads, statuses, strict=True):
            if await self._settle(redis, payload, status):
                done.append(entry_id)
        await self._done(redis, done)
        if len(done) < len(entries):
            raise _Retry(f"receiver answered {sorted(set(statuses))}")

    async def _settle(self, redis: Redis, payload: bytes, status: int) -> bool:
        """Whether the item is finished: taken (2xx) or set aside (422)."""
        if 200 <= status < 300:
            self.delivered += 1
            return True
        if status == 422:
            log.error("%s item refused by the receiver; kept in %s:rejected", self.kind,
                      self.stream)  # fmt: skip
            await redis.xadd(f"{self.stream}:rejected", {"item": payload})
            return True
        return False

    async def _done(self, redis: Redis, entry_ids: list) -> None:
        """Acknowledge and delete finished entries in one round trip."""
        if entry_ids:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.xack(self.stream, GROUP, *entry_ids)
                pipe.xdel(self.stream, *entry_ids)
                await pipe.execute()

    async def _pause(self, why: str) -> None:
        self.failures += 1
        pause = min(0.5 * 2 ** (self.failures - 1), self.max_backoff_s)
        log.warning("%s delivery: %s; retrying in %.1f s", self.kind, why, pause)
        await asyncio.sleep(pause)


def _payload(fields: dict) -> bytes:
    payload = fields.get(b"item") or fields.get("item") or b""
    return payload.encode() if isinstance(payload, str) else payload


def _entries(reply: Any) -> list:
    """The (id, fields) entries of one stream in an XREADGROUP reply, which
    is a list of [stream, entries] (RESP2) or a dict stream -> entries (RESP3)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return [e for entries in reply.values() for e in (entries[0] if entries and
                isinstance(entries[0], list) else entries)]  # fmt: skip
    return list(reply[0][1])


class _Retry(Exception):
    """The receiver did not take the item; it stays pending."""
