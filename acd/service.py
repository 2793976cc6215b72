"""The queue controller: agent sessions and queue figures, derived from AMI.

Commands (login, pause, ready, logout) are AMI actions; state changes happen
only when Asterisk's events confirm them. After a (re)connect the whole
picture is rebuilt from QueueStatus, so a restart of either side costs
nothing but a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

import yaml

from acd import ami
from acd.states import AgentState, Signal, next_state
from acd.store import AcdStore, QueueFigures, Seat

log = logging.getLogger("acd")
WRAPUP_REASON = "wrapup"
SERVICE_LEVEL_S = 15


class UnknownSeat(Exception):
    pass


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


class Acd:
    def __init__(self, manager: Any, store: AcdStore, skills_file, wrapup_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.manager = manager
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
            seat.call_id = event.get("Uniqueid", "")
            await self._move(seat, Signal.called)
            # the screen-pop's source: the call's context as the IVR left it
            await self.store.publish({
                "type": "offer", "agent_id": agent_id, "queue": event.get("Queue", ""),
                "call_id": seat.call_id, "channel": event.get("Channel", ""),
                "context": call_context(event), "at": self.clock(),
            })  # fmt: skip

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
        if agent_id:
            seat = self.seat(agent_id)
            seat.call_id, seat.call_since = event.get("Uniqueid", ""), self.clock()
            await self._move(seat, Signal.connected)

    async def _agent_complete(self, event: Any) -> None:
        agent_id = agent_of(event)
        if not agent_id:
            return
        seat = self.seat(agent_id)
        seat.call_id, seat.call_since = "", 0.0
        if self.wrapup_seconds > 0:
            await self._move(seat, Signal.completed)
            await ami.queue_pause(self.manager, agent_id, True, WRAPUP_REASON)
            self._timers[agent_id] = asyncio.create_task(self._end_wrapup(agent_id))
        else:
            await self._move(seat, Signal.completed)
            await self._move(seat, Signal.unpaused)

    async def _end_wrapup(self, agent_id: str) -> None:
        await asyncio.sleep(self.wrapup_seconds)
        self._timers.pop(agent_id, None)
        if self.seat(agent_id).state == AgentState.wrapup:
            await ami.queue_pause(self.manager, agent_id, False)

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
        await self._missed(event, "abandoned", queue, int(event.get("HoldTime") or 0))

    async def _user_event(self, event: Any) -> None:
        if event.get("UserEvent") == "YhtQueueNoAgent":
            context = call_context(event)
            await self._missed(event, "no_agent", context.get("YHT_QUEUE", ""), 0)

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


def _state_of(member: Any) -> tuple[AgentState, str]:
    """A QueueMember event's seat state. Status 2 in use, 6 ringing (AST_DEVICE_*)."""
    paused, reason = member.get("Paused") == "1", member.get("PausedReason") or ""
    if member.get("InCall") == "1" or member.get("Status") == "2":
        return AgentState.talking, ""
    if member.get("Status") == "6":
        return AgentState.ringing, ""
    if paused:
        return (AgentState.wrapup, "") if reason == WRAPUP_REASON else (AgentState.paused, reason)
    return AgentState.ready, ""
