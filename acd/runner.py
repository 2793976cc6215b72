"""Wiring: the AMI connection, the event callbacks and the resync on (re)connect."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import httpx
from panoramisk import Manager
from redis.asyncio import Redis

from acd import ami
from acd.schedule import ShiftPlan
from acd.service import Acd, SosCall
from acd.settings import AcdSettings
from acd.states import AgentState
from acd.store import AcdStore
from yht.dialling import OutboundRule
from yht.phones import canonical
from yht.privacy import mask_number

log = logging.getLogger("acd")


def staffing(plan: ShiftPlan, seats, now: dt.datetime) -> dict:
    """Seats that can take calls now (logged in, not on a break) against the plan."""
    shift = plan.current(now)
    closed = (AgentState.logged_out, AgentState.paused, AgentState.unreachable)
    open_ = sum(1 for s in seats if s.state not in closed)
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
                       settings.skills_file, settings.wrapup_seconds,
                       originate_timeout_s=settings.originate_timeout_s,
                       outbound=OutboundRule.from_setting(settings.partner_numbers))  # fmt: skip
        self.acd.on_escalation = self._notify_contacts
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._deliverer: asyncio.Task | None = None
        self._staffing: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self.sos_devices: set[str] = set()  # the SOS caller ids AstDB held after the last sync
        self.plan = ShiftPlan(settings.schedule_file)
        self.redis = redis
        self.resyncs = 0

    async def start(self) -> None:
        self.manager.loop = asyncio.get_running_loop()
        self.manager.register_event("*", self._enqueue)
        self._worker = asyncio.create_task(self._work())
        self._deliverer = asyncio.create_task(self._deliver("missed", "/missed-calls", 0.5))
        self._staffing = asyncio.create_task(self._publish_staffing())
        jobs = (
            self._deliver("sos", "/sos-calls/events", 0.2),
            self._deliver("audit", "/call-actions", 0.5),
            self._sync_sos_devices(),
        )
        for job in jobs:
            task = asyncio.create_task(job)
            self._background.add(task)
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

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.ticketing_token}",
                "Content-Type": "application/json"}  # fmt: skip

    async def _deliver(self, kind: str, path: str, idle_s: float) -> None:
        """Hand the items queued in Redis list `<prefix>:<kind>` to the
        work-order service at `path`, oldest first; an item leaves Redis only
        once the service has it (both reports are idempotent). Missed calls
        become callbacks; SOS steps make the emergency work order's timeline."""
        key = f"{self.settings.redis_prefix}:{kind}"
        async with httpx.AsyncClient(base_url=self.settings.ticketing_url, timeout=5) as client:
            while True:
                try:
                    item = await self.redis.lindex(key, 0)
                    if item is None:
                        await asyncio.sleep(idle_s)
                        continue
                    response = await client.post(path, headers=self._headers(), content=item)
                    if response.status_code in (200, 201):
                        await self.redis.lpop(key)
                    elif response.status_code == 422:
                        # malformed: set aside for a person, never silently dropped
                        log.error("%s item refused, kept in %s:rejected", kind, key)
                        await self.redis.lmove(key, f"{key}:rejected", "LEFT", "RIGHT")
                    else:
                        raise httpx.HTTPStatusError("retry", request=response.request,
                                                    response=response)  # fmt: skip
                except (httpx.HTTPError, OSError) as error:
                    log.warning("%s delivery failed (%s); retrying", kind, type(error).__name__)
                    await asyncio.sleep(1)

    async def _sync_sos_devices(self) -> None:
        """The confirmed SOS device numbers of active elders into AstDB (family
        yht-sos), where the dialplan finds them with no Python service
        running. Each round compares the registry with what AstDB holds
        (DBGetTree) and adds or removes the difference, so a deactivated or
        unconfirmed number stops routing as SOS within one interval, whoever
        put it there and however often this process restarted."""
        async with httpx.AsyncClient(base_url=self.settings.ticketing_url, timeout=5) as client:
            while True:
                try:
                    response = await client.get("/elders/devices", headers=self._headers())
                    response.raise_for_status()
                    # only canonical numbers reach the dialplan's AstDB keys
                    wanted = {n for n in response.json() if canonical(str(n)) == n}
                    if self.manager.authenticated:
                        present = await ami.db_keys(self.manager, "yht-sos")
                        for number in sorted(wanted - present):
                            await ami.sos_registry(self.manager, number, registered=True)
                        for number in sorted(present - wanted):
                            await ami.sos_registry(self.manager, number, registered=False)
                        self.sos_devices = wanted
                except (httpx.HTTPError, OSError, ValueError, ami.AmiError) as error:
                    log.warning("SOS device sync failed (%s)", type(error).__name__)
                await asyncio.sleep(self.settings.sos_sync_interval_s)

    def _notify_contacts(self, sos: SosCall) -> None:
        task = asyncio.create_task(self._call_contacts(sos))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _call_contacts(self, sos: SosCall) -> None:
        """Nobody answered an SOS call: ring the elder's emergency contacts and
        play them the notice (the dialplan already called 120)."""
        if not sos.caller:
            return
        try:
            async with httpx.AsyncClient(base_url=self.settings.ticketing_url,
                                         timeout=5) as client:  # fmt: skip
                response = await client.get("/elders/contacts", params={"number": sos.caller},
                                            headers=self._headers())  # fmt: skip
            contacts = response.json() if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError) as error:
            log.warning("emergency contacts unavailable (%s)", type(error).__name__)
            contacts = []
        for contact in contacts:
            number = str(contact.get("phone", ""))
            if not self.acd.outbound.allows(number):
                continue
            try:
                await ami.originate(self.manager, f"PJSIP/{number}@partner-trunk", 45,
                                    application="Playback",
                                    data="yht/sos-contact-notice")  # fmt: skip
                await self.acd.store.enqueue_sos({
                    "call_id": sos.call_id, "kind": "contact_called",
                    "at": self.acd.clock(), "detail": f"通知紧急联系人 {mask_number(number)}",
                })  # fmt: skip
            except ami.AmiError as error:
                log.warning("calling an emergency contact failed: %s", error)

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
        for task in self._background:
            task.cancel()
        if self._staffing is not None:
            self._staffing.cancel()
        if self._deliverer is not None:
            self._deliverer.cancel()
        if self._worker is not None:
            self._worker.cancel()
        self.manager.close()
