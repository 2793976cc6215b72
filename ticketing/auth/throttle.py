"""Log-in throttling: per account, per client address, and a bound on the
password checks running at once.

Each argon2 check takes 64 MiB and a core for tens of milliseconds, so a burst
of log-ins must neither exhaust memory nor starve the event loop: checks run
in worker threads, at most `password_checks` at a time, and a request that
cannot get a turn within `password_wait_s` is answered 429 at once.
Failed log-ins count against the account (a lock-out window), every attempt
counts against the client address (generous: a center's agents often share
one NAT address at shift change). Counters live in the process (`limits`
moving windows): one work-order service process per center.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ticketing.errors import TooManyRequests


class LoginThrottle:
    def __init__(self, per_address: str, failures_per_account: str, password_checks: int,
                 password_wait_s: float) -> None:  # fmt: skip
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_address: RateLimitItem = parse(per_address)
        self.per_account: RateLimitItem = parse(failures_per_account)
        self._checks = asyncio.Semaphore(password_checks)
        self._wait_s = password_wait_s

    def attempt(self, address: str, username: str) -> None:
        """Count an attempt from `address`; refuse a locked account or a
        flooding address before any password is checked."""
        if not self._limiter.hit(self.per_address, "address", address):
            raise TooManyRequests("登录尝试过于频繁, 请稍后再试",
                                  self.per_address.get_expiry())  # fmt: skip
        if not self._limiter.test(self.per_account, "account", username):
            raise TooManyRequests("该账户登录失败次数过多, 已暂时锁定, 请稍后再试",
                                  self.per_account.get_expiry())  # fmt: skip

    def failed(self, username: str) -> None:
        self._limiter.hit(self.per_account, "account", username)

    @contextlib.asynccontextmanager
    async def password_check(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._checks.acquire(), self._wait_s)
        except TimeoutError:
            raise TooManyRequests("登录请求过多, 请稍后再试", 5) from None
        try:
            yield
        finally:
            self._checks.release()
