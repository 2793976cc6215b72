"""Wiring: the AMI connection, the event callbacks and the resync on (re)connect."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

import httpx
from panoramisk import Manager
from redis.asyncio import Redis
from redis.exceptions import RedisError

from acd import ami
from acd.service import Acd, SosCall
from acd.settings import AcdSettings
from acd.sos_devices import keep_sos_devices
from acd.states import AgentState
from acd.store import AcdStore
from yht.dialling import OutboundRule
from yht.events import Staffing
from yht.outbox import Delivery, Outbox
from yht.privacy import mask_number
from yht.shifts import ShiftPlan
from yht.supervise import Supervisor

log = logging.getLogger("acd")
# outbox kind -> the work-order service's endpoint (each idempotent by its key)
DELIVERIES = {"missed": "/missed-calls", "sos": "/sos-calls/events", "audit": "/call-actions",
              "recording": "/recordings"}  # fmt: skip
# AMI events waiting above which deliveries to the work-order service pause,
# and at or below which they go on
EVENTS_HIGH_WATER, EVENTS_LOW_WATER = 100, 20
# kinds whose items are independent and received idempotently: posted a batch
# at once (SOS steps and call actions keep their order, one at a time)
PARALLEL = {"missed": 8, "recording": 8}


def staffing(plan: ShiftPlan, seats, now: dt.datetime) -> Staffing:
    """Seats that can take calls now (logged in, not on a break) against the plan."""
    shift = plan.current(now)
    closed = (AgentState.logged_out, AgentState.paused, AgentState.unreachable)
    open_ = sum(1 for s in seats if s.state not in closed)
    return Staffing(shift=shift.name, planned=shift.seats, open=open_, at=now.timestamp())


class AcdRunner:
    """Owns the Manager and the Acd. panoramisk runs event callbacks as
    fire-and-forget tasks, so they are funnelled through one bounded queue
    here and handled in order. Every long-lived loop runs under a Supervisor
    (logged, restarted with backoff, reported by /health); what the
    work-order service must get goes through the durable outbox."""

    def __init__(self, settings: AcdSettings, redis: Redis, outbox_redis: Redis) -> None:
        self.settings = settings
        self.manager = Manager(
            host=settings.ami_host, port=settings.ami_port, username=settings.ami_user,
            secret=settings.ami_secret, ping_delay=5, reconnect_timeout=settings.reconnect_s,
            forgetable_actions=ami.NEVER_REPLAYED, on_login=self._ami_up,
            on_disconnect=self._ami_down,
        )  # fmt: skip
        self.manager.ami_up = False
        self.outbox = Outbox(outbox_redis, settings.redis_prefix)
        self.acd = Acd(self.manager, AcdStore(redis, settings.redis_prefix, self.outbox),
                       settings.skills_file, settings.wrapup_seconds,
                       originate_timeout_s=settings.originate_timeout_s,
                       outbound=OutboundRule.from_setting(settings.partner_numbers))  # fmt: skip
        self.acd.on_escalation = self._notify_contacts
        self.acd.sos_center = settings.sos_center
        self._events: asyncio.Queue[Any] = asyncio.Queue(maxsize=settings.event_queue_size)
        self.events_dropped = 0
        self._caught_up = asyncio.Event()  # cleared while events back up
        self._caught_up.set()
        self.supervisor = Supervisor("acd")
        self._background: set[asyncio.Task] = set()
        self.sos_devices: set[str] = set()  # the SOS caller ids AstDB held after the last sync
        self.plan = ShiftPlan(settings.schedule_file)
        self.redis = redis
        self.http = httpx.AsyncClient(base_url=settings.ticketing_url,
                                      timeout=settings.http_timeout_s)  # fmt: skip
        self.deliveries = [
            Delivery(self.outbox, kind, self._poster(path), "acd", parallel=PARALLEL.get(kind, 1))
            for kind, path in DELIVERIES.items()
        ]
        self.resyncs = 0
        self._resync_lock = asyncio.Lock()
        self.resync_failing = False  # /health is not ok while the picture is stale
        self._started = False  # later logins are reconnects: each one resyncs
        self.redis_up = True
        self.redis_rewrites = 0  # the live picture written back into an emptied Redis

    async def start(self) -> None:
        self.manager.loop = asyncio.get_running_loop()
        self.manager.register_event("*", self._enqueue)
        await self._remember_seats()
        self.supervisor.start("events", self._work)
        self.supervisor.start("sos-devices", self._sync_sos_devices)
        self.supervisor.start("outbox-flush", self.outbox.keep_flushing)
        for delivery in self.deliveries:
            self.supervisor.start(f"deliver-{delivery.kind}", delivery.run)
        await self.manager.connect()
        await self._wait_authenticated()
        await self.resync()
        self._started = True
        # only now: before the first resync every seat would count as closed
        # and the seat map would show a false staffing alarm
        self.supervisor.start("staffing", self._publish_staffing)
        self.supervisor.start("live-redis", self._watch_live_redis)

    async def _watch_live_redis(self, interval_s: float = 0.5) -> None:
        """The live Redis keeps nothing on disk: after a restart it is empty,
        and the seat map (read from it) would be blank until each seat moved.
        A marker key tells an emptied Redis from a live one, however short the
        outage; the ACD then writes its whole picture back and resyncs."""
        marker = f"{self.settings.redis_prefix}:live"
        store = self.acd.store
        while True:
            try:
                emptied = not await self.redis.exists(marker)
                if emptied or store.stale:
                    # writes lost while it was away: what they published
                    # (a pop too) never reached anyone; written back and sent
                    lost, store.stale = store.stale, False
                    if self.redis_rewrites or not self.redis_up or lost:
                        log.warning("live Redis %s: writing the picture back",
                                    "came back empty" if emptied else "lost writes")  # fmt: skip
                    await self.acd.rewrite_store(publish_offers=lost)
                    await self.redis.set(marker, "1")
                    self.redis_rewrites += 1
                if not self.redis_up:
                    log.info("live Redis reachable again")
                self.redis_up = True
            except RedisError as error:
                if self.redis_up:
                    log.warning("live Redis unreachable (%s)", type(error).__name__)
                self.redis_up = False
            await asyncio.sleep(interval_s)

    async def _remember_seats(self) -> None:
        """The seats as the previous process left them in Redis: the resync
        then keeps a seat's time in state and call start when Asterisk says
        it is still in that state (a restart must not reset them to zero)."""
        try:
            for seat in await self.acd.store.seats():
                self.acd.seats[seat.agent_id] = seat
            for offer in await self.acd.store.offers():
                self.acd.offers[offer.agent_id] = offer
        except RedisError as error:
            log.warning("previous seats unavailable (%s); times in state restart", error)

    # ------------------------------------------------------------------ AMI
    def _ami_up(self, manager: Any) -> None:
        """Every (re)login: a new AMI session (we reconnected, or Asterisk
        restarted) means the picture is rebuilt from QueueStatus."""
        manager.ami_up = True
        log.info("AMI logged in")
        if self._started:
            self._in_background(self.resync())

    def _ami_down(self, manager: Any, exc: Any) -> None:
        # panoramisk keeps `authenticated` true after the socket drops: this
        # flag is what actions and /health look at
        manager.ami_up = False
        log.warning("AMI connection lost (%s); reconnecting", exc)

    def _enqueue(self, _manager: Any, event: Any) -> None:
        if self._events.qsize() >= EVENTS_HIGH_WATER:
            self._caught_up.clear()
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            # the picture may now be wrong: drop the event, rebuild from Asterisk
            self.events_dropped += 1
            if self.events_dropped % 1000 == 1:
                # one line per thousand: a line per event at hundreds a second
                # would slow the very loop that is behind
                log.error("AMI event queue full (%d): %d events dropped so far (now %s);"
                          " resync follows; missed calls still come from queue_log",
                          self._events.maxsize, self.events_dropped,
                          event.get("Event"))  # fmt: skip
                self._in_background(self.resync())

    def _in_background(self, job: Any) -> None:
        task = asyncio.create_task(job)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _work(self) -> None:
        while True:
            event = await self._events.get()
            if self._events.qsize() <= EVENTS_LOW_WATER:
                self._caught_up.set()
            try:
                await self.acd.on_event(event)
            except Exception:
                log.exception("handling %s failed", event.get("Event"))

    async def resync(self, first_retry_s: float = 1.0) -> None:
        """The picture rebuilt from Asterisk, one resync at a time. One that
        fails while the AMI session is up (an Asterisk still booting leaves
        QueueStatus unanswered) is tried again, with backoff, until it
        succeeds or the session drops (the next login resyncs): the ninth day
        had it given up, the ACD kept every seat "ready" in a restarted
        Asterisk with no queue member, and every later caller abandoned."""
        async with self._resync_lock:
            delay = first_retry_s
            while True:
                try:
                    await self.acd.resync()
                    await self.acd.reconcile_sos()
                except ami.AmiError as error:
                    if not self.manager.ami_up:
                        log.warning("resync failed (%s); the next login resyncs", error)
                        return
                    self.resync_failing = True
                    log.warning("resync failed (%s); again in %.0f s", error, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                self.resync_failing = False
                self.resyncs += 1
                return

    async def _wait_authenticated(self, timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.manager.ami_up:
            if asyncio.get_running_loop().time() > deadline:
                raise ConnectionError("AMI login failed")
            await asyncio.sleep(0.05)

    # ----------------------------------------------------- the work orders
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.ticketing_token}",
                "Content-Type": "application/json"}  # fmt: skip

    async def events_first(self) -> None:
        """Deliveries wait while AMI events back up: the outbox is durable and
        catches up later, the event queue is not (past its bound events are
        dropped). A soak's profile had the deliveries' HTTP posts take half
        of this loop while 10,000 events waited (docs/benchmarks.md (q))."""
        await self._caught_up.wait()

    def _poster(self, path: str):
        async def post(payload: bytes) -> int:
            await self.events_first()
            try:
                response = await self.http.post(path, headers=self._headers(), content=payload)
            except httpx.HTTPError as error:
                log.warning("posting to %s failed (%s)", path, type(error).__name__)
                return 0
            return response.status_code

        return post

    async def backlog(self) -> dict[str, int]:
        """Items in the outbox not yet delivered, per kind."""
        return await self.outbox.backlog(list(DELIVERIES))

    def events_waiting(self) -> int:
        """AMI events read but not yet handled (bounded: event_queue_size)."""
        return self._events.qsize()

    def caught_up(self) -> bool:
        """False while events back up (deliveries to the work-order service wait)."""
        return self._caught_up.is_set()

    async def _sync_sos_devices(self) -> None:
        await keep_sos_devices(self.http, self.manager, self._headers(),
                               self.settings.sos_sync_interval_s, self)  # fmt: skip

    def _notify_contacts(self, sos: SosCall) -> None:
        self._in_background(self._call_contacts(sos))

    async def _call_contacts(self, sos: SosCall) -> None:
        """Nobody answered an SOS call: ring the elder's emergency contacts and
        play them the notice (the dialplan already called 120). Each contact is
        dialled through yht-conf-out, which redials a busy or silent line
        (YHT_CONF_DIAL_TRIES) and reports every attempt and failure as
        YhtDialOut / YhtDialFailed, so each is on the call's timeline."""
        if not sos.caller:
            return
        try:
            response = await self.http.get("/elders/contacts", params={"number": sos.caller},
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
                await ami.originate(self.manager, f"Local/{number}*{sos.conf}@yht-conf-out",
                                    self.settings.originate_timeout_s, application="Playback",
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
            # a publish Redis does not take is counted by the store (stale)
            await self.acd.store.publish(staffing(self.plan, self.acd.seats.values(),
                                                  dt.datetime.now(dt.UTC)))  # fmt: skip
            await asyncio.sleep(self.settings.staffing_interval_s)

    async def stop(self) -> None:
        """Stop every task and wait until it has stopped."""
        await self.supervisor.stop()
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.manager.close()
        await self.http.aclose()
