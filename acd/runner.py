"""Wiring: the AMI connection, the event callbacks and the resync on (re)connect."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import httpx
from panoramisk import Manager
from redis.asyncio import Redis

from acd.schedule import ShiftPlan
from acd.service import Acd
from acd.settings import AcdSettings
from acd.states import AgentState
from acd.store import AcdStore

log = logging.getLogger("acd")


def staffing(plan: ShiftPlan, seats, now: dt.datetime) -> dict:
    """Seats that can take calls now (logged in, not on a break) against the plan."""
    shift = plan.current(now)
    open_ = sum(1 for s in seats if s.state not in (AgentState.logged_out, AgentState.paused))
    return {"type": "staffing", "shift": shift.name, "planned": shift.seats, "open": open_,
            "at": now.timestamp()}  # fmt: skip


class AcdRunner:
    """Owns the Manager and the Acd; panoramisk runs event callbacks as
    fire-and-forget tasks, so they are funnelled through one queue here and
    handled in order, with exceptions logged instead of lost."""

    def __init__(self, settings: AcdSettings, redis: Redis) -> None:
        self.settings = settings
        self.manager = Manager(
            host=settings.ami_host, port=settings.ami_port, username=settings.ami_user,
            secret=settings.ami_secret, ping_delay=5, reconnect_timeout=settings.reconnect_s,
        )  # fmt: skip
        self.acd = Acd(self.manager, AcdStore(redis, settings.redis_prefix),
                       settings.skills_file, settings.wrapup_seconds)  # fmt: skip
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._deliverer: asyncio.Task | None = None
        self._staffing: asyncio.Task | None = None
        self.plan = ShiftPlan(settings.schedule_file)
        self.redis = redis
        self.resyncs = 0

    async def start(self) -> None:
        self.manager.loop = asyncio.get_running_loop()
        self.manager.register_event("*", self._enqueue)
        self._worker = asyncio.create_task(self._work())
        self._deliverer = asyncio.create_task(self._deliver_missed())
        self._staffing = asyncio.create_task(self._publish_staffing())
        await self.manager.connect()
        await self._wait_authenticated()
        await self.resync()

    def _enqueue(self, _manager: Any, event: Any) -> None:
        self._events.put_nowait(event)

    async def _work(self) -> None:
        while True:
            event = await self._events.get()
            try:
                if event.get("Event") == "FullyBooted" and self.resyncs:
                    await self.resync()  # a new AMI session: Asterisk restarted or we reconnected
                else:
                    await self.acd.on_event(event)
            except Exception:
                log.exception("handling %s failed", event.get("Event"))

    async def resync(self) -> None:
        await self.acd.resync()
        self.resyncs += 1

    async def _wait_authenticated(self, timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.manager.authenticated:
            if asyncio.get_running_loop().time() > deadline:
                raise ConnectionError("AMI login failed")
            await asyncio.sleep(0.05)

    async def _deliver_missed(self) -> None:
        """Hand queued missed calls to the work-order service, oldest first; an
        item leaves Redis only once the service has it (the report is idempotent)."""
        key = f"{self.settings.redis_prefix}:missed"
        headers = {"Authorization": f"Bearer {self.settings.api_token}",
                   "Content-Type": "application/json"}  # fmt: skip
        async with httpx.AsyncClient(base_url=self.settings.ticketing_url, timeout=5) as client:
            while True:
                try:
                    item = await self.redis.lindex(key, 0)
                    if item is None:
                        await asyncio.sleep(0.5)
                        continue
                    response = await client.post("/missed-calls", headers=headers,
                                                 content=item, timeout=5)  # fmt: skip
                    if response.status_code in (200, 201):
                        await self.redis.lpop(key)
                    elif response.status_code == 422:
                        # malformed: set aside for a person, never silently dropped
                        log.error("missed call refused, kept in %s:rejected", key)
                        await self.redis.lmove(key, f"{key}:rejected", "LEFT", "RIGHT")
                    else:
                        raise httpx.HTTPStatusError("retry", request=response.request,
                                                    response=response)  # fmt: skip
                except (httpx.HTTPError, OSError) as error:
                    log.warning("missed-call delivery failed (%s); retrying", type(error).__name__)
                    await asyncio.sleep(2)

    async def _publish_staffing(self) -> None:
        """Open seats against the shift plan, for the seat map (and its alarm)."""
        while True:
            try:
                await self.acd.store.publish(staffing(self.plan, self.acd.seats.values(),
                                                      dt.datetime.now(dt.UTC)))  # fmt: skip
            except Exception:
                log.exception("publishing staffing failed")
            await asyncio.sleep(self.settings.staffing_interval_s)

    async def stop(self) -> None:
        if self._staffing is not None:
            self._staffing.cancel()
        if self._deliverer is not None:
            self._deliverer.cancel()
        if self._worker is not None:
            self._worker.cancel()
        self.manager.close()
