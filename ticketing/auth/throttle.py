"""Log-in throttling: per account, per client address, and a bound on the
password checks running at once.

Each argon2 check takes 64 MiB and a core for tens of milliseconds, so a burst
of log-ins must neither exhaust memory nor starve the event loop: checks run
in worker threads, at most `password_checks` at a time, and a request that
cannot get a turn within `password_wait_s` is answered 429 at once.
Every password check -- a log-in, a user changing their password, an
administrator setting one -- goes through `argon2`, under that one limit.

Every attempt counts against the client address (generous: a center's agents
often share one NAT address at shift change) and, before its password is
checked, against the account: counted first, so thirty guesses sent at once
at a fresh account get the limit's five checks, not sixteen; a success
clears the account's count. The address is the peer's own unless the peer is
a configured proxy (settings.trusted_proxies: uvicorn then reads
X-Forwarded-For). Counters live in the process (`limits` moving windows):
one work-order service process per center.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from ticketing.errors import TooManyRequests

T = TypeVar("T")


class LoginThrottle:
    def __init__(self, per_address: str, failures_per_account: str, password_checks: int,
                 password_wait_s: float) -> None:  # fmt: skip
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_address: RateLimitItem = parse(per_address)
        self.per_account: RateLimitItem = parse(failures_per_account)
        self._checks = asyncio.Semaphore(password_checks)
        self._wait_s = password_wait_s

    def attempt(self, address: str, username: str) -> None:
        """Count an attempt from `address` and, as a failure until it
        succeeds, against the account; refuse a flooding address or a locked
        account before any password is checked."""
        if not self._limiter.hit(self.per_address, "address", address):
            raise TooManyRequests("登录尝试过于频繁, 请稍后再试",
                                  self.per_address.get_expiry())  # fmt: skip
        if not self._limiter.hit(self.per_account, "account", username.lower()):
            raise TooManyRequests("该账户登录失败次数过多, 已暂时锁定, 请稍后再试",
                                  self.per_account.get_expiry())  # fmt: skip

    def succeeded(self, username: str) -> None:
        self._limiter.clear(self.per_account, "account", username.lower())

    async def argon2(self, check: Callable[..., T], *args: Any) -> T:
        """Run one password hash or check in a worker thread, at most
        `password_checks` at a time; 429 when no turn comes in time."""
        try:
            await asyncio.wait_for(self._checks.acquire(), self._wait_s)
        except TimeoutError:
            raise TooManyRequests("密码校验请求过多, 请稍后再试", 5) from None
        try:
            return await asyncio.to_thread(check, *args)
        finally:
            self._checks.release()
