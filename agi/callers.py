"""Caller recognition: is this number calling again, and how often?

Kept in Redis under a keyed hash of the number (yht.privacy.number_key), so
the store holds no citizen's number in clear. Redis being down never delays a
call: recognition is skipped and the call goes on as a first-time caller.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis.asyncio as redis

from yht.privacy import number_key

log = logging.getLogger(__name__)
KEY_PREFIX = "yht:caller:"
KEEP_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True)
class CallerHint:
    previous_calls: int = 0
    last_call_at: float | None = None
    last_category: str = ""
    recognised: bool = True  # False when the store could not be asked

    def is_repeat(self, now: float, window_hours: float) -> bool:
        return self.last_call_at is not None and now - self.last_call_at <= window_hours * 3600


class CallerHistory:
    def __init__(self, client: redis.Redis, hash_key: str) -> None:
        self._redis = client
        self._hash_key = hash_key

    @classmethod
    def from_url(cls, url: str, hash_key: str, timeout_s: float) -> CallerHistory:
        client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
            decode_responses=True,
        )  # fmt: skip
        return cls(client, hash_key)

    def _key(self, number: str) -> str:
        return KEY_PREFIX + number_key(number, self._hash_key)

    async def recognise(self, number: str, now: float | None = None) -> CallerHint:
        """Read what is known of the number and count this call."""
        if not number:
            return CallerHint(recognised=False)
        now = time.time() if now is None else now
        key = self._key(number)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(key)
                pipe.hincrby(key, "calls", 1)
                pipe.hset(key, "last_call_at", f"{now:.3f}")
                pipe.expire(key, KEEP_SECONDS)
                known, *_ = await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            log.warning("caller recognition skipped: redis unavailable (%s)", type(exc).__name__)
            return CallerHint(recognised=False)
        last = known.get("last_call_at")
        return CallerHint(
            previous_calls=int(known.get("calls", 0)),
            last_call_at=float(last) if last else None,
            last_category=known.get("last_category", ""),
        )

    async def remember_category(self, number: str, category: str) -> None:
        if not number:
            return
        try:
            await self._redis.hset(self._key(number), "last_category", category)
        except (redis.RedisError, OSError) as exc:
            log.warning("caller category not stored: redis unavailable (%s)", type(exc).__name__)

    async def close(self) -> None:
        await self._redis.aclose()
