"""The websockets bridge.

A browser connects to ws://127.0.0.1:8092/ and sends first
    {"type": "auth", "token": "<work-order service bearer token>"}
The bridge asks the work-order service who that is (GET /auth/me). Agents
(with a seat) and shift leads are let in; anyone else is refused with an
error message and close code 4403 (4401: no or bad token).

Then it pushes, as JSON messages:
    hello         who you are, your seat
    snapshot      seats and queues as they are now
    seat, queue   every change the ACD publishes (a shift lead sees all
                  seats; an agent their own)
    screen_pop    to the agent whose phone rings (caller, IVR path, category,
                  previous work orders, a draft work order)
    alarm         to shift leads: a caller waiting too long, a long pause
    sos_profile   to the agent offered an SOS call: the elder's profile
    alarm, alarm_clear  to shift leads: a caller waiting too long, a long
                  pause, an SOS call nobody has answered yet, a failed 120 dial
    caption       live captions of a call (recordings/captions): to the seat
                  on the call and a shift lead listening to it, nobody else
and accepts from an agent, always for the agent's own seat and call:
    {"type": "ready"|"pause"|"login"|"logout", "reason": ...}
    {"type": "hangup"}                       leave the call
    {"type": "transfer", "target": "hotline"|"110"|"<number>"}
    {"type": "party", "number": "120"|"110"|"<number>"}   three-way call
and from a shift lead with a seat: {"type": "spy", "target": "<seat>",
"mode": "listen"|"whisper"|"barge"} (rings the lead's own phone).
Every message gets an "ack" or an "error" with the same "ref"; a malformed
one never closes the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field

import httpx
from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from softphone_bridge.alarms import AlarmFeed
from softphone_bridge.captions import CaptionFeed
from softphone_bridge.commands import seat_command
from softphone_bridge.screenpop import screen_pop
from softphone_bridge.session import Session, refuse
from softphone_bridge.settings import BridgeSettings
from softphone_bridge.workorders import WorkOrders
from yht import channelvars as cv
from yht.events import (
    AlarmClear,
    AlarmSet,
    CallOffered,
    Caption,
    QueueChanged,
    SeatChanged,
    SosState,
    Staffing,
    captions_channel,
    decode,
)

log = logging.getLogger("bridge")
# AMI channel names stay between the ACD and the bridge
PRIVATE_SEAT_FIELDS = ("agent_channel", "caller_channel")
EXPIRED = "登录已失效 (令牌过期或账户已停用), 请重新登录"


@dataclass
class Bridge(AlarmFeed, CaptionFeed):
    settings: BridgeSettings
    redis: Redis
    http: httpx.AsyncClient
    sessions: set[Session] = field(default_factory=set)
    seats: dict[str, dict] = field(default_factory=dict)
    queues: dict[str, dict] = field(default_factory=dict)
    staffing: dict = field(default_factory=dict)
    alarms: dict[str, str] = field(default_factory=dict)  # active now: key -> message
    # raised by the ACD (SOS waiting, a failed 120 dial) until it clears them
    pushed: dict[str, str] = field(default_factory=dict)
    # SOS calls waiting for a seat: every agent's desk shows them (no number)
    sos_waiting: dict[str, bool] = field(default_factory=dict)  # call id -> escalated
    # each seat's screen-pop (the ACD's CallOffered) for its current call: a
    # desk that connects, or comes back, during the call gets it again
    offers: dict[str, dict] = field(default_factory=dict)
    _tasks: set[asyncio.Task] = field(default_factory=set)
    resnapshots: int = 0

    def __post_init__(self) -> None:
        self.workorders = WorkOrders(self.http, self.settings.ticketing_url,
                                     self.settings.http_timeout_s)  # fmt: skip

    # ---------------------------------------------------------- connections
    async def handler(self, ws: ServerConnection) -> None:
        session = await self._authenticate(ws)
        if session is None:
            return
        self.sessions.add(session)
        try:
            await session.send({"type": "hello", "user": session.username, "role": session.role,
                                "seat": session.seat})  # fmt: skip
            await session.send(self._snapshot(session))
            await self._pop_again(session)
            async for raw in ws:
                if await self.workorders.still_valid(session.token) is False:
                    await refuse(ws, 4401, EXPIRED)
                    return
                await self._on_message(session, raw)
        except ConnectionClosed:
            pass
        finally:
            self.sessions.discard(session)
            await session.close()

    async def _authenticate(self, ws: ServerConnection) -> Session | None:
        try:
            raw = await asyncio.wait_for(ws.recv(), self.settings.auth_timeout_s)
            message = json.loads(raw)
            token = message["token"] if message.get("type") == "auth" else None
        except (TimeoutError, ValueError, KeyError, TypeError, ConnectionClosed):
            token = None
        if not isinstance(token, str) or not token:
            await refuse(ws, 4401, '请先发送 {"type": "auth", "token": ...}')
            return None
        try:
            user = await self.workorders.me(token)
        except httpx.HTTPError:
            await refuse(ws, 1013, "工单服务暂时不可用, 请稍后重连")
            return None
        if user is None:
            await refuse(ws, 4401, "令牌无效或已过期")
            return None
        if user["role"] not in ("agent", "shift_lead") or (
            user["role"] == "agent" and not user.get("seat")
        ):
            await refuse(ws, 4403, "只有话务员 (有座席) 和值班长可以连接")
            return None
        return Session(ws, token, user["username"], user["role"], user.get("seat"),
                       queue_size=self.settings.client_queue_size,
                       send_timeout_s=self.settings.client_send_timeout_s)  # fmt: skip

    async def recheck_sessions(self) -> None:
        """Every open page's token, again and again: a deactivated user or an
        expired token loses seat control and the live feed (close 4401)."""
        while True:
            await asyncio.sleep(self.settings.recheck_interval_s)
            sessions = list(self.sessions)
            verdicts = await asyncio.gather(
                *(self.workorders.still_valid(s.token) for s in sessions)
            )
            for session, valid in zip(sessions, verdicts, strict=True):
                if valid is False:
                    log.info("closing the page of %s: token no longer valid", session.username)
                    self.sessions.discard(session)
                    await refuse(session.ws, 4401, EXPIRED)

    def _snapshot(self, session: Session) -> dict:
        seats = [s for s in self.seats.values() if session.is_lead or s["agent_id"] == session.seat]
        staffing = self.staffing if session.is_lead else None
        alarms = (
            [{"key": k, "message": v} for k, v in self.alarms.items()] if session.is_lead else []
        )
        sos = [{"call_id": c, "escalated": e} for c, e in self.sos_waiting.items()]
        return {"type": "snapshot", "seats": seats, "queues": list(self.queues.values()),
                "staffing": staffing, "alarms": alarms, "sos_waiting": sos,
                "at": time.time()}  # fmt: skip

    # ------------------------------------------------------------- commands
    async def _on_message(self, session: Session, raw: str | bytes) -> None:
        await seat_command(self.http, self.settings, session, raw)

    # ---------------------------------------------------------------- events
    async def load_state(self) -> None:
        """Seats, queues and screen-pops as the ACD holds them, before following
        its events (AMI channel names of the seats are dropped here too)."""
        headers = {"Authorization": f"Bearer {self.settings.acd_token}"}
        kinds = (("seats", self.seats, "agent_id", "seat"),
                 ("queues", self.queues, "name", "queue"),
                 ("offers", self.offers, "agent_id", "offer"))  # fmt: skip
        for path, store, key, kind in kinds:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                response = await self.http.get(f"{self.settings.acd_url}/{path}", headers=headers)
                if response.status_code == 200:
                    private = PRIVATE_SEAT_FIELDS if kind == "seat" else ()
                    store.update({
                        item[key]: {**{k: v for k, v in item.items() if k not in private},
                                    "type": kind}
                        for item in response.json()
                    })  # fmt: skip

    async def resnapshot(self) -> None:
        await self.load_state()
        for session in list(self.sessions):
            await session.send(self._snapshot(session))
            await self._pop_again(session)
        self.resnapshots += 1

    async def flush(self) -> None:
        """Wait until every page's queue was handed to its socket (tests)."""
        await asyncio.gather(*(s.flush() for s in list(self.sessions)))

    async def follow(self) -> None:
        """The ACD's event channel, forever: a lost Redis connection is taken
        up again (and every page gets a fresh snapshot); anything else goes
        to the supervisor, which logs it and restarts this loop."""
        channel = f"{self.settings.acd_prefix}:events"
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(channel, captions_channel(self.settings.acd_prefix))
                    # (re)subscribed: what happened meanwhile is lost on a
                    # pub/sub channel, so every page gets a fresh snapshot
                    await self.resnapshot()
                    async for item in pubsub.listen():
                        if item.get("type") == "message":
                            await self._route_raw(item["data"])
            except RedisError as error:
                log.warning("following %s: Redis %s; reconnecting", channel,
                            type(error).__name__)  # fmt: skip
                await asyncio.sleep(1)

    async def _route_raw(self, raw: bytes | str) -> None:
        try:
            event = decode(raw)
        except ValidationError as error:
            # a malformed event is logged and skipped: it never stops the feed
            log.error("ignoring an event that is not an ACD event: %s", error.errors()[:1])
            return
        await self.route(event)

    async def route(self, event: BaseModel | dict) -> None:
        """One typed event of the ACD's channel (yht/events.py) to the pages
        that may see it."""
        if isinstance(event, dict):
            event = decode(event)
        match event:
            case SeatChanged():
                seat = event.model_dump(exclude=set(PRIVATE_SEAT_FIELDS))
                self.seats[event.agent_id] = seat
                self._listening_ends(seat)
                await self._send_where(seat, lambda s: s.is_lead or s.seat == event.agent_id)
            case Caption():
                await self._caption(event)
            case SosState():
                await self._sos_alarm(event)
            case AlarmSet():
                await self._raise(event.key, event.message)
            case AlarmClear():
                await self._clear(event.key)
            case QueueChanged():
                self.queues[event.name] = event.model_dump()
                await self._send_where(self.queues[event.name], lambda s: True)
            case Staffing():
                self.staffing = event.model_dump()
                await self._send_where(self.staffing, lambda s: s.is_lead)
            case CallOffered():
                self.offers[event.agent_id] = event.model_dump()
                for session in [s for s in self.sessions if s.seat == event.agent_id]:
                    self._in_background(self._pop(session, event.model_dump()))

    async def _pop_again(self, session: Session) -> None:
        """The pop of the call the agent's seat is on now, if any (a desk that
        connected, or whose events were lost, during the call). The desk
        takes a pop it already shows as the same call (static/desk.js)."""
        seat, offer = self.seats.get(session.seat or ""), self.offers.get(session.seat or "")
        if seat is None or offer is None or not offer.get("call_id"):
            return
        if seat.get("call_id") == offer["call_id"] and seat.get("state") in ("ringing", "talking"):
            self._in_background(self._pop(session, offer))

    def _in_background(self, job) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pop(self, session: Session, offer: dict) -> None:
        """Send the pop at once; the caller's history follows when it arrives,
        so a slow work-order service never delays the ring on the page."""
        await session.send(screen_pop(offer, None))
        caller = offer.get("context", {}).get(cv.CALLER, "")
        if offer.get("context", {}).get(cv.CATEGORY) == "sos":
            await self._sos_profile(session, offer.get("call_id", ""), caller)
        size = self.settings.history_size
        history = await self.workorders.history(session.token, caller, size) if caller else []
        await session.send({"type": "history", "call_id": offer.get("call_id", ""),
                            "history": history})  # fmt: skip

    async def _sos_profile(self, session: Session, call_id: str, caller: str) -> None:
        """The elder's profile for the SOS pop. `lookup` tells the desk what
        it got: ok, unknown (the registry has no such number) or failed (the
        service was down, slow or refused: NOT the same as unknown), and a
        failed lookup is tried again with growing pauses."""
        lookup, profile = (await self.workorders.elder(session.token, caller) if caller
                           else ("unknown", None))  # fmt: skip
        for attempt in range(self.settings.profile_retries):
            if lookup != "failed":
                break
            await session.send({"type": "sos_profile", "call_id": call_id, "known": False,
                                "lookup": "failed", "profile": None})  # fmt: skip
            await asyncio.sleep(0.5 * 2**attempt)
            lookup, profile = await self.workorders.elder(session.token, caller)
        await session.send({"type": "sos_profile", "call_id": call_id, "known": lookup == "ok",
                            "lookup": lookup, "profile": profile})  # fmt: skip

    async def _send_where(self, message: dict, wanted) -> None:
        await asyncio.gather(*(s.send(message) for s in list(self.sessions) if wanted(s)))
