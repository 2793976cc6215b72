"""The queue controller: agent sessions and queue figures, derived from AMI.

Commands (login, pause, ready, logout) are AMI actions; state changes happen
only when Asterisk's events confirm them. After a (re)connect the whole
picture is rebuilt from QueueStatus, so a restart of either side costs
nothing but a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from acd import ami
from acd.states import AgentState, Signal, next_state
from acd.store import AcdStore, QueueFigures, Seat
from yht.dialling import OutboundRule

log = logging.getLogger("acd")
WRAPUP_REASON = "wrapup"
SERVICE_LEVEL_S = 15
SOS_QUEUE = "sos"
UNREACHABLE = ("4", "5")  # QueueMemberStatus: AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE


class UnknownSeat(Exception):
    pass


class CallActionRefused(Exception):
    """A call action that does not fit the seat's call (no call, wrong target)."""


TRANSFER_QUEUES = ("hotline", "dialect")
SPY_OPTIONS = {"listen": "qE", "whisper": "qEw", "barge": "qEB"}
AGENT_CHANNEL = re.compile(r"^PJSIP/agent([0-9]+)-")
OUTSIDE_PARTY = re.compile(r"^Local/([0-9]+)\*([0-9]+)@yht-conf-out")
SOS_OFFER = re.compile(r"^Local/[0-9]+@yht-sos-offer")


def load_skills(path) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["default"], {str(k): v for k, v in (data.get("seats") or {}).items()}


def agent_of(event: Any) -> str | None:
    """'PJSIP/agent1001' (Interface or StateInterface) -> '1001'."""
    for key in ("Interface", "StateInterface", "Location"):
        value = event.get(key) or ""
        if value.startswith("PJSIP/agent"):
            return value.removeprefix("PJSIP/agent")
    return None


def conference_of(call_id: str) -> str:
    """The conference a call uses for a third party: its uniqueid's digits
    (the SOS dialplan computes the same name as FILTER(0-9,${UNIQUEID}))."""
    return "".join(c for c in call_id if c.isdigit())


@dataclass
class SosCall:
    """An SOS call the controller follows, keyed by its conference name."""

    call_id: str
    conf: str
    caller: str
    answered_by: str = ""
    ended: bool = False


class Acd:
    def __init__(self, manager: Any, store: AcdStore, skills_file, wrapup_seconds: float,
                 clock: Callable[[], float] = time.time,
                 originate_timeout_s: float = 180.0,
                 outbound: OutboundRule | None = None) -> None:  # fmt: skip
        self.manager = manager
        # what the desk may dial: the rule the dialplan renders (yht.dialling)
        self.outbound = outbound or OutboundRule()
        self.originate_timeout_s = originate_timeout_s
        self.sos: dict[str, SosCall] = {}  # conference -> SOS call in progress
        # called with the SosCall when it escalates to 120; the
        # runner sets it to ring the elder's emergency contacts
        self.on_escalation: Callable[[SosCall], Any] | None = None
        self.store = store
        self.default_skills, self.skills = load_skills(skills_file)
        self.wrapup_seconds = wrapup_seconds
        self.clock = clock
        self.seats: dict[str, Seat] = {}
        self.queues: dict[str, QueueFigures] = {}
        self.waiting: dict[str, dict[str, float]] = {}  # queue -> caller uniqueid -> join time
        self._timers: dict[str, asyncio.Task] = {}

    # ------------------------------------------------------------ commands
    def skills_of(self, agent_id: str) -> dict[str, int]:
        return self.skills.get(agent_id, self.default_skills)

    async def login(self, agent_id: str) -> None:
        for queue, penalty in self.skills_of(agent_id).items():
            try:
                await ami.queue_add(self.manager, queue, agent_id, penalty)
            except ami.AmiError as error:
                if "Already there" not in str(error):
                    raise

    async def logout(self, agent_id: str) -> None:
        self._cancel_timer(agent_id)
        for queue in list(self.seat(agent_id).queues):
            await ami.queue_remove(self.manager, queue, agent_id)

    async def pause(self, agent_id: str, reason: str) -> None:
        self._require_logged_in(agent_id)
        self._cancel_timer(agent_id)
        await ami.queue_pause(self.manager, agent_id, True, reason)

    async def ready(self, agent_id: str) -> None:
        self._require_logged_in(agent_id)
        self._cancel_timer(agent_id)
        await ami.queue_pause(self.manager, agent_id, False)

    # ------------------------------------------------------- call control
    # Every action names a seat, never a channel: the channels are the ones
    # Asterisk reported for that seat's call, so a desk can act on its own
    # call only.
    def _on_call(self, agent_id: str) -> Seat:
        self._require_logged_in(agent_id)
        seat = self.seat(agent_id)
        if seat.state != AgentState.talking or not seat.agent_channel:
            raise CallActionRefused(f"座席 {agent_id} 当前没有通话")
        return seat

    async def hangup(self, agent_id: str) -> None:
        """The seat leaves its call; a conference goes on without it."""
        await ami.hangup(self.manager, self._on_call(agent_id).agent_channel)

    async def transfer(self, agent_id: str, target: str) -> None:
        """Blind transfer of the caller: to a queue or an outside number
        (110 handoff, a unit's line). The seat's leg ends."""
        seat = self._on_call(agent_id)
        if seat.conference:
            raise CallActionRefused("三方通话中不能转接, 可以退出三方通话")
        if target not in TRANSFER_QUEUES and not self.outbound.allows(target):
            raise CallActionRefused(f"不能转接到 {target}")
        await ami.redirect(self.manager, seat.caller_channel, "yht-transfer", target,
                           extra=(seat.agent_channel, "yht-leg-done", "s"))  # fmt: skip

    async def add_party(self, agent_id: str, number: str) -> str:
        """Three-way call: caller, seat and an outside party (120, 110, a
        contact). A two-party call moves into a conference first; the party is
        dialled (and redialled if busy) by the dialplan. Returns the conference."""
        seat = self._on_call(agent_id)
        if not self.outbound.allows(number):
            raise CallActionRefused(f"不能拨打 {number}")
        conf = seat.conference
        if not conf:
            conf = conference_of(seat.call_id)
            # set first: app_queue reports AgentComplete before the conference
            # join, and the seat is still on the call
            seat.conference = conf
            try:
                await ami.redirect(self.manager, seat.caller_channel, "yht-conf-caller", conf,
                                   extra=(seat.agent_channel, "yht-conf-party", conf))  # fmt: skip
            except ami.AmiError:
                seat.conference = ""
                raise
        # the seat's cap on outside calls is counted in the dialplan
        await ami.originate(self.manager, f"Local/{number}*{conf}@yht-conf-out",
                            self.originate_timeout_s, context="yht-conf-party", exten=conf,
                            variables={"YHT_OUT_SEAT": agent_id})  # fmt: skip
        return conf

    async def spy(self, lead_seat: str, target_seat: str, mode: str) -> None:
        """Ring the shift lead's own phone and, when answered, listen to,
        whisper to or barge into the target seat's call (ChanSpy)."""
        if mode not in SPY_OPTIONS:
            raise CallActionRefused(f"未知的监听方式: {mode}")
        if lead_seat == target_seat:
            raise CallActionRefused("不能监听自己的座席")
        target = self._on_call(target_seat)
        await ami.originate(
            self.manager, f"PJSIP/agent{lead_seat}", 30,
            caller_id=f"监听 {target_seat} <{target_seat}>", application="ChanSpy",
            data=f"{target.agent_channel},{SPY_OPTIONS[mode]}")  # fmt: skip

    def seat(self, agent_id: str) -> Seat:
        return self.seats.setdefault(agent_id, Seat(agent_id, since=self.clock()))

    def _require_logged_in(self, agent_id: str) -> None:
        if self.seat(agent_id).state == AgentState.logged_out:
            raise UnknownSeat(f"座席 {agent_id} 未登录")

    # -------------------------------------------------------------- events
    async def on_event(self, event: Any) -> None:
        name = event.get("Event")
        handler = self._handlers.get(name)
        if handler is not None:
            await handler(self, event)

    async def _member_added(self, event: Any) -> None:
        agent_id = agent_of(event)
        if agent_id:
            seat = self.seat(agent_id)
            if event["Queue"] not in seat.queues:
                seat.queues.append(event["Queue"])
            await self._move(seat, Signal.member_added)

    async def _member_removed(self, event: Any) -> None:
        agent_id = agent_of(event)
        if agent_id:
            seat = self.seat(agent_id)
            seat.queues = [q for q in seat.queues if q != event["Queue"]]
            if not seat.queues:
                await self._move(seat, Signal.member_removed)
            else:
                await self.store.save_seat(seat)

    async def _member_pause(self, event: Any) -> None:
        agent_id = agent_of(event)
        if not agent_id:
            return
        seat = self.seat(agent_id)
        reason = event.get("PausedReason") or event.get("Reason") or ""
        if seat.conference and reason == WRAPUP_REASON:
            return  # still talking in a three-way call
        if event.get("Paused") == "1":
            signal = Signal.wrapup_paused if reason == WRAPUP_REASON else Signal.paused
            seat.reason = "" if signal == Signal.wrapup_paused else reason
            await self._move(seat, signal, force_save=True)
        else:
            seat.reason = ""
            await self._move(seat, Signal.unpaused)

    async def _agent_called(self, event: Any) -> None:
        agent_id = agent_of(event)
        if agent_id:
            seat = self.seat(agent_id)
            context = call_context(event)
            seat.call_id = event.get("Uniqueid", "")
            seat.caller_channel = event.get("Channel", "")
            seat.agent_channel = event.get("DestChannel", "")
            seat.sos = context.get("YHT_CATEGORY") == "sos"
            await self._move(seat, Signal.called, force_save=True)
            # the screen-pop's source: the call's context as the IVR left it
            await self.store.publish({
                "type": "offer", "agent_id": agent_id, "queue": event.get("Queue", ""),
                "call_id": seat.call_id, "channel": seat.caller_channel,
                "context": context, "at": self.clock(),
            })  # fmt: skip
            sos = self.sos.get(context.get("YHT_CONF", ""))
            if sos is not None:
                await self._timeline(sos, "offered", f"座席 {agent_id} 振铃", seat=agent_id)

    async def _agent_missed(self, event: Any) -> None:
        agent_id = agent_of(event)
        if agent_id:
            seat = self.seat(agent_id)
            seat.call_id = ""
            await self._move(seat, Signal.missed)

    async def _agent_connect(self, event: Any) -> None:
        agent_id = agent_of(event)
        queue = event.get("Queue", "")
        figures = self._queue(queue)
        figures.answered += 1
        if float(event.get("HoldTime") or 0) <= SERVICE_LEVEL_S:
            figures.answered_in_target += 1
        await self._left_queue(queue, event.get("Uniqueid", ""))
        if not agent_id:
            return
        context = call_context(event)
        seat = self.seat(agent_id)
        seat.call_id, seat.call_since = event.get("Uniqueid", ""), self.clock()
        seat.caller_channel = event.get("Channel", "")
        seat.agent_channel = event.get("DestChannel", "") or seat.agent_channel
        seat.sos = context.get("YHT_CATEGORY") == "sos"
        # a seat answering an escalated SOS call is in the conference already
        seat.conference = context.get("YHT_CONF", "") if context.get("YHT_SOS_JOIN") == "1" else ""
        await self._move(seat, Signal.connected, force_save=True)
        sos = self.sos.get(context.get("YHT_CONF", ""))
        if sos is not None:
            sos.answered_by = sos.answered_by or agent_id
            await self._timeline(sos, "answered", f"座席 {agent_id} 接听", seat=agent_id)
            await self.store.publish({"type": "sos", "call_id": sos.call_id, "state": "answered",
                                      "seat": agent_id, "at": self.clock()})  # fmt: skip

    async def _agent_complete(self, event: Any) -> None:
        agent_id = agent_of(event)
        if not agent_id:
            return
        seat = self.seat(agent_id)
        if seat.conference:
            return  # the call went on in a conference; ConfbridgeLeave ends it
        await self._call_over(seat)

    async def _call_over(self, seat: Seat) -> None:
        agent_id = seat.agent_id
        seat.call_id, seat.call_since, seat.sos = "", 0.0, False
        seat.agent_channel = seat.caller_channel = seat.conference = ""
        if self.wrapup_seconds > 0:
            await self._move(seat, Signal.completed, force_save=True)
            await ami.queue_pause(self.manager, agent_id, True, WRAPUP_REASON)
            self._cancel_timer(agent_id)
            self._wrapup_timer(agent_id)
        else:
            await self._move(seat, Signal.completed, force_save=True)
            await self._move(seat, Signal.unpaused)

    async def _end_wrapup(self, agent_id: str) -> None:
        await asyncio.sleep(self.wrapup_seconds)
        self._timers.pop(agent_id, None)
        seat = self.seat(agent_id)
        # a phone that dropped off during wrap-up is still unpaused: Asterisk
        # keeps the pause, and nobody would lift it when the phone returns
        if seat.state == AgentState.wrapup or (
            seat.state == AgentState.unreachable and not seat.reason
        ):
            await ami.queue_pause(self.manager, agent_id, False)

    def _wrapup_timer(self, agent_id: str) -> None:
        """Make sure a seat paused for wrap-up gets unpaused (after a resync,
        or when its phone comes back): one timer per seat."""
        if agent_id not in self._timers:
            self._timers[agent_id] = asyncio.create_task(self._end_wrapup(agent_id))

    async def _member_status(self, event: Any) -> None:
        """A phone that unregistered or stopped answering qualify is unreachable."""
        agent_id = agent_of(event)
        if not agent_id or self.seat(agent_id).state == AgentState.logged_out:
            return
        seat = self.seat(agent_id)
        if event.get("Status") in UNREACHABLE:
            await self._move(seat, Signal.unreachable)
        elif seat.state == AgentState.unreachable:
            await self._move(seat, Signal.reachable)
            if event.get("Paused") == "1":
                reason = event.get("PausedReason") or ""
                seat.reason = "" if reason == WRAPUP_REASON else reason
                await self._move(seat, Signal.wrapup_paused if reason == WRAPUP_REASON
                                 else Signal.paused, force_save=True)  # fmt: skip
                if reason == WRAPUP_REASON:
                    self._wrapup_timer(agent_id)

    async def _conf_join(self, event: Any) -> None:
        channel, conf = event.get("Channel", ""), event.get("Conference", "")
        seat_match = AGENT_CHANNEL.match(channel)
        if seat_match:
            seat = self.seat(seat_match.group(1))
            self._cancel_timer(seat.agent_id)
            seat.conference, seat.agent_channel = conf, channel
            await self._move(seat, Signal.conference_joined, force_save=True)
        sos = self.sos.get(conf)
        if sos is None:
            return
        party = _party(event, sos)
        if party is None:
            return
        await self._timeline(sos, "joined", f"{party} 加入三方通话")
        outside = OUTSIDE_PARTY.match(channel)
        if outside:
            await self.store.publish({"type": "alarm_clear", "key": f"dial:{conf}"})

    async def _conf_leave(self, event: Any) -> None:
        channel, conf = event.get("Channel", ""), event.get("Conference", "")
        seat_match = AGENT_CHANNEL.match(channel)
        if seat_match:
            seat = self.seat(seat_match.group(1))
            if seat.conference == conf:
                seat.conference = ""
                await self._move(seat, Signal.conference_left, force_save=True)
                await self._call_over(seat)
        sos = self.sos.get(conf)
        party = _party(event, sos) if sos is not None else None
        if sos is not None and party is not None:
            await self._timeline(sos, "left", f"{party} 离开三方通话")

    async def _hangup(self, event: Any) -> None:
        """The elder's leg hung up: the SOS call is over."""
        uniqueid = event.get("Uniqueid", "")
        sos = self.sos.get(conference_of(uniqueid))
        if sos is not None and sos.call_id == uniqueid:
            await self._sos_ended(sos, event.get("Cause-txt", ""))

    async def _caller_join(self, event: Any) -> None:
        queue = event.get("Queue", "")
        self.waiting.setdefault(queue, {})[event.get("Uniqueid", "")] = self.clock()
        await self._save_queue(queue)

    async def _caller_leave(self, event: Any) -> None:
        await self._left_queue(event.get("Queue", ""), event.get("Uniqueid", ""))

    async def _caller_abandon(self, event: Any) -> None:
        queue = event.get("Queue", "")
        self._queue(queue).abandoned += 1
        await self._left_queue(queue, event.get("Uniqueid", ""))
        if queue != SOS_QUEUE:  # an SOS call is recorded as an emergency order instead
            await self._missed(event, "abandoned", queue, int(event.get("HoldTime") or 0))

    async def _user_event(self, event: Any) -> None:
        name = event.get("UserEvent")
        if name == "YhtQueueNoAgent":
            context = call_context(event)
            await self._missed(event, "no_agent", context.get("YHT_QUEUE", ""), 0)
        elif name in self._sos_events:
            await self._sos_events[name](self, event)

    # ------------------------------------------------------------------ SOS
    async def _sos_start(self, event: Any) -> None:
        context = call_context(event)
        sos = SosCall(call_id=event.get("CallId", ""), conf=event.get("Conf", ""),
                      caller=context.get("YHT_CALLER", ""))  # fmt: skip
        self.sos[sos.conf] = sos
        await self.store.enqueue_sos({
            "call_id": sos.call_id, "kind": "start", "at": self.clock(),
            "detail": "一键呼叫接入", "caller": sos.caller or None,
            "hotline": context.get("YHT_HOTLINE", ""), "known": event.get("Known") == "1",
            "recording": event.get("Recording", ""),
        })  # fmt: skip
        await self.store.publish({"type": "sos", "call_id": sos.call_id, "state": "waiting",
                                  "caller": sos.caller, "at": self.clock()})  # fmt: skip

    async def _sos_escalate(self, event: Any) -> None:
        sos = self.sos.get(event.get("Conf", ""))
        if sos is None:
            return
        await self._timeline(sos, "escalated", "无人接听, 自动接通 120, 座席继续振铃")
        await self.store.publish({"type": "sos", "call_id": sos.call_id, "state": "escalated",
                                  "caller": sos.caller, "at": self.clock()})  # fmt: skip
        if self.on_escalation is not None:
            self.on_escalation(sos)

    async def _dial_out(self, event: Any) -> None:
        sos = self.sos.get(event.get("Conf", ""))
        if sos is not None:
            attempt = f"拨打 {event.get('Number')} (第 {event.get('Try')} 次)"
            await self._timeline(sos, "dialled", attempt)

    async def _dial_failed(self, event: Any) -> None:
        conf, number = event.get("Conf", ""), event.get("Number", "")
        message = (f"拨打 {number} 失败 ({event.get('Status')}, 第 {event.get('Try')} 次),"
                   " 正在重拨; 求助人仍在线")  # fmt: skip
        await self.store.publish({"type": "alarm_set", "key": f"dial:{conf}", "message": message,
                                  "at": self.clock()})  # fmt: skip
        sos = self.sos.get(conf)
        if sos is not None:
            await self._timeline(sos, "dial_failed", message)

    async def _sos_end(self, event: Any) -> None:
        sos = self.sos.get(event.get("Conf", ""))
        if sos is not None:
            await self._sos_ended(sos, "")

    async def _sos_ended(self, sos: SosCall, cause: str) -> None:
        if sos.ended:
            return
        sos.ended = True
        self.sos.pop(sos.conf, None)
        await self._timeline(sos, "ended", "求助人挂机" + (f" ({cause})" if cause else ""))
        await self.store.publish({"type": "sos", "call_id": sos.call_id, "state": "ended",
                                  "at": self.clock()})  # fmt: skip
        await self.store.publish({"type": "alarm_clear", "key": f"dial:{sos.conf}"})

    async def _timeline(self, sos: SosCall, kind: str, detail: str, seat: str = "") -> None:
        await self.store.enqueue_sos({"call_id": sos.call_id, "kind": kind, "at": self.clock(),
                                      "detail": detail, "seat": seat or None})  # fmt: skip

    _sos_events: ClassVar[dict[str, Callable]] = {
        "YhtSosStart": _sos_start,
        "YhtSosEscalate": _sos_escalate,
        "YhtDialOut": _dial_out,
        "YhtDialFailed": _dial_failed,
        "YhtSosEnd": _sos_end,
    }

    async def _missed(self, event: Any, reason: str, queue: str, waited_s: int) -> None:
        """零呼损: every caller who left unanswered becomes a callback to make."""
        context = call_context(event)
        await self.store.enqueue_missed({
            "call_id": context.get("YHT_CALL_ID") or event.get("Uniqueid", ""),
            "caller": context.get("YHT_CALLER") or None, "hotline": context.get("YHT_HOTLINE", ""),
            "queue": queue, "waited_s": waited_s, "reason": reason,
        })  # fmt: skip

    _handlers: ClassVar[dict[str, Callable]] = {
        "QueueMemberAdded": _member_added,
        "QueueMemberRemoved": _member_removed,
        "QueueMemberPause": _member_pause,
        "AgentCalled": _agent_called,
        "AgentRingNoAnswer": _agent_missed,
        "AgentConnect": _agent_connect,
        "AgentComplete": _agent_complete,
        "QueueCallerJoin": _caller_join,
        "QueueCallerLeave": _caller_leave,
        "QueueCallerAbandon": _caller_abandon,
        "UserEvent": _user_event,
        "QueueMemberStatus": _member_status,
        "ConfbridgeJoin": _conf_join,
        "ConfbridgeLeave": _conf_leave,
        "Hangup": _hangup,
    }

    # ------------------------------------------------------------- resync
    async def resync(self) -> None:
        """Rebuild seats and waiting callers from QueueStatus (after a connect)."""
        members: dict[str, dict[str, Any]] = {}
        waiting: dict[str, dict[str, float]] = {}
        now = self.clock()
        for event in await ami.queue_status(self.manager):
            name = event.get("Event")
            if name == "QueueParams":
                self._queue(event["Queue"])
            elif name == "QueueMember":
                agent_id = agent_of(event)
                if agent_id:
                    entry = members.setdefault(agent_id, {"queues": [], "event": event})
                    entry["queues"].append(event["Queue"])
            elif name == "QueueEntry":
                wait = float(event.get("Wait") or 0)
                waiting.setdefault(event["Queue"], {})[event.get("Uniqueid", "")] = now - wait
        for agent_id in set(self.seats) | set(members):
            seat = self.seat(agent_id)
            member = members.get(agent_id)
            state, reason = _state_of(member["event"]) if member else (AgentState.logged_out, "")
            seat.queues = member["queues"] if member else []
            if state != seat.state or reason != seat.reason:
                seat.state, seat.reason, seat.since = state, reason, now
            if member and member["event"].get("PausedReason") == WRAPUP_REASON:
                self._wrapup_timer(agent_id)  # a wrap-up whose timer this process never had
            await self.store.save_seat(seat)
        self.waiting = waiting
        for queue in self.queues:
            await self._save_queue(queue)
        log.info("resynced: %d seats logged in, %d callers waiting", len(members),
                 sum(len(w) for w in waiting.values()))  # fmt: skip

    # ------------------------------------------------------------- helpers
    async def _move(self, seat: Seat, signal: Signal, force_save: bool = False) -> None:
        new = next_state(AgentState(seat.state), signal)
        if new != seat.state:
            seat.state, seat.since = new, self.clock()
            if new in (AgentState.ready, AgentState.logged_out):
                seat.call_id, seat.call_since = "", 0.0
            await self.store.save_seat(seat)
        elif force_save or signal in (Signal.member_added,):
            await self.store.save_seat(seat)

    def _queue(self, name: str) -> QueueFigures:
        return self.queues.setdefault(name, QueueFigures(name))

    async def _left_queue(self, queue: str, uniqueid: str) -> None:
        self.waiting.get(queue, {}).pop(uniqueid, None)
        await self._save_queue(queue)

    async def _save_queue(self, queue: str) -> None:
        figures = self._queue(queue)
        waiting = self.waiting.get(queue, {})
        figures.waiting = len(waiting)
        figures.oldest_join = min(waiting.values(), default=0.0)
        await self.store.save_queue(figures)

    def _cancel_timer(self, agent_id: str) -> None:
        task = self._timers.pop(agent_id, None)
        if task is not None:
            task.cancel()


def call_context(event: Any) -> dict[str, str]:
    """The YHT_* channel variables an AMI event carries (manager.conf channelvars)."""
    raw = event.get("ChanVariable") or []
    items = [raw] if isinstance(raw, str) else list(raw)
    pairs = (item.split("=", 1) for item in items if "=" in item)
    return {k: v for k, v in pairs if k.startswith("YHT_")}


def _party(event: Any, sos: SosCall) -> str | None:
    """Who a ConfbridgeJoin/Leave of an SOS conference is about, in words."""
    channel = event.get("Channel", "")
    if event.get("Uniqueid") == sos.call_id:
        return "求助人"
    seat = AGENT_CHANNEL.match(channel)
    if seat:
        return f"座席 {seat.group(1)}"
    outside = OUTSIDE_PARTY.match(channel)
    if outside:
        return outside.group(1)
    return None  # the Local channel that keeps offering the call to the seats


def _state_of(member: Any) -> tuple[AgentState, str]:
    """A QueueMember event's seat state. Status 2 in use, 6 ringing (AST_DEVICE_*)."""
    paused, reason = member.get("Paused") == "1", member.get("PausedReason") or ""
    if member.get("InCall") == "1" or member.get("Status") == "2":
        return AgentState.talking, ""
    if member.get("Status") == "6":
        return AgentState.ringing, ""
    if member.get("Status") in UNREACHABLE:
        return AgentState.unreachable, member.get("PausedReason") or ""
    if paused:
        return (AgentState.wrapup, "") if reason == WRAPUP_REASON else (AgentState.paused, reason)
    return AgentState.ready, ""
