"""The queue controller: agent sessions and queue figures, derived from AMI.

Commands (login, pause, ready, logout) are AMI actions; state changes happen
only when Asterisk's events confirm them. After a (re)connect the whole
picture is rebuilt from QueueStatus, so a restart of either side costs
nothing but a few seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from acd import ami
from acd.calls import OUTSIDE_PARTY, CallControl
from acd.core import (
    AGENT_CHANNEL,
    NOT_A_MEMBER,
    SOS_QUEUE,
    UNREACHABLE,
    WRAPUP_REASON,
    CallActionRefused,
    SosCall,
    UnknownSeat,
    agent_of,
    call_context,
    conference_of,
)
from acd.reachable import SeatReachability
from acd.recordings import CallRecordings
from acd.resync import Resync
from acd.sos import SosTimeline, _party
from acd.states import AgentState, Signal
from acd.store import Seat
from acd.waits import before_missed_threshold, number, waited_s
from yht import channelvars as cv
from yht.events import AlarmClear

__all__ = ["Acd", "CallActionRefused", "SosCall", "UnknownSeat", "conference_of"]
log = logging.getLogger("acd")
SERVICE_LEVEL_S = 15


class Acd(CallControl, SosTimeline, CallRecordings, Resync):
    """Seat commands and the handlers of Asterisk's events, on the state and
    features of the classes it builds on."""

    async def login(self, agent_id: str) -> None:
        for queue, penalty in self.skills_of(agent_id).items():
            try:
                await ami.queue_add(self.manager, queue, agent_id, penalty)
            except ami.AmiError as error:
                if "Already there" not in str(error):
                    raise
        # ringable at once, also when the switch restarted a moment ago
        await self.qualify_seats([agent_id], quiet=True)

    async def logout(self, agent_id: str) -> None:
        self._cancel_timer(agent_id)
        for queue in list(self.seat(agent_id).queues):
            await ami.queue_remove(self.manager, queue, agent_id)

    async def pause(self, agent_id: str, reason: str) -> None:
        self._require_logged_in(agent_id)
        self._cancel_timer(agent_id)
        await self._pause(agent_id, reason)

    async def ready(self, agent_id: str) -> None:
        self._require_logged_in(agent_id)
        self._cancel_timer(agent_id)
        await ami.queue_pause(self.manager, agent_id, False)

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
        if self._sos_only_view(event, agent_id):
            return
        reason = event.get("PausedReason") or event.get("Reason") or ""
        if reason == WRAPUP_REASON and (seat.conference or seat.state == AgentState.talking):
            # still talking in a three-way call, or already on an SOS call
            # that rang the seat during the wrap-up of its last call
            return
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
            seat.sos = context.get(cv.CATEGORY) == "sos"
            await self._move(seat, Signal.called, force_save=True)
            await self._offer(agent_id, event, context)
            sos = self.sos.get(context.get(cv.CONF, ""))
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
        await self._recording_answered(event)
        figures = self._queue(queue)
        figures.answered += 1
        if waited_s(event) <= SERVICE_LEVEL_S:
            figures.answered_in_target += 1
        await self._left_queue(queue, event.get("Uniqueid", ""))
        if not agent_id:
            return
        context = call_context(event)
        seat = self.seat(agent_id)
        seat.call_id, seat.call_since = event.get("Uniqueid", ""), self.clock()
        seat.caller_channel = event.get("Channel", "")
        seat.agent_channel = event.get("DestChannel", "") or seat.agent_channel
        seat.sos = context.get(cv.CATEGORY) == "sos"
        # a seat answering an escalated SOS call is in the conference already
        seat.conference = context.get(cv.CONF, "") if context.get(cv.SOS_JOIN) == "1" else ""
        await self._move(seat, Signal.connected, force_save=True)
        if not self.offered(agent_id, seat.call_id):
            # rung while this process was down (a restart): the desk gets its pop now
            await self._offer(agent_id, event, context)
        sos = self.sos.get(context.get(cv.CONF, ""))
        if sos is not None:
            await self._sos_answered(sos, agent_id)

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
        if not seat.queues:  # logged out during the call: nothing to pause
            await self._move(seat, Signal.completed)
            await self._move(seat, Signal.member_removed, force_save=True)
        elif self.wrapup_seconds > 0:
            await self._move(seat, Signal.completed, force_save=True)
            try:
                await self._pause(agent_id, WRAPUP_REASON)
            except ami.AmiError as error:
                if NOT_A_MEMBER not in str(error):
                    raise
                # logged out in Asterisk (the shift plan, an agent's log-out)
                # before its QueueMemberRemoved reached this loop: out, no wrap-up
                log.info("seat %s left its queues before its call ended: logged out", agent_id)
                seat.queues = []
                await self._move(seat, Signal.member_removed, force_save=True)
                return
            self._cancel_timer(agent_id)
            self._wrapup_timer(agent_id)
        else:
            await self._move(seat, Signal.completed, force_save=True)
            await self._move(seat, Signal.unpaused)

    async def _member_status(self, event: Any) -> None:
        """A phone that unregistered or stopped answering qualify is unreachable."""
        agent_id = agent_of(event)
        if not agent_id or self.seat(agent_id).state == AgentState.logged_out:
            return
        seat = self.seat(agent_id)
        if event.get("Queue") == SOS_QUEUE:
            await self._sos_seat_status(agent_id, event.get("Status", ""))
        if event.get("Status") in UNREACHABLE:
            await self._move(seat, Signal.unreachable)
        elif seat.state == AgentState.unreachable and not self._sos_only_view(event, agent_id):
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
            await self.store.publish(AlarmClear(key=f"dial:{conf}"))
            if outside.group(1) == self.sos_center:
                await self._center_joined(sos)

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

    async def _caller_join(self, event: Any) -> None:
        queue = event.get("Queue", "")
        # the live figure counts from the call's first queue entry, as the reports
        joined = number(call_context(event).get(cv.QUEUED_AT, "")) or self.clock()
        self.waiting.setdefault(queue, {})[event.get("Uniqueid", "")] = joined
        if queue == SOS_QUEUE:
            self.sos_channels[event.get("Uniqueid", "")] = event.get("Channel", "")
        await self._save_queue(queue)

    async def _caller_leave(self, event: Any) -> None:
        await self._left_queue(event.get("Queue", ""), event.get("Uniqueid", ""))

    async def _caller_abandon(self, event: Any) -> None:
        queue = event.get("Queue", "")
        self._queue(queue).abandoned += 1
        await self._left_queue(queue, event.get("Uniqueid", ""))
        if queue == SOS_QUEUE:  # an SOS call is recorded as an emergency order instead
            return
        if before_missed_threshold(event):
            log.info("call %s hung up before the missed-call threshold: not a callback",
                     call_context(event).get(cv.CALL_ID) or event.get("Uniqueid", ""))  # fmt: skip
            return
        await self._missed(event, "abandoned", queue, int(waited_s(event)))

    async def _user_event(self, event: Any) -> None:
        """The dialplan's UserEvents the ACD acts on (USER_EVENTS; manager.conf
        lets only these through to the ACD: a YhtQueueEnter per call, read by
        the tests and benchmarks, would be parsed here for nothing)."""
        name = event.get("UserEvent")
        if name == "YhtQueueNoAgent":
            context = call_context(event)
            await self._missed(event, "no_agent", context.get(cv.QUEUE, ""), int(waited_s(event)))
        elif name == "YhtMenuHangup":
            # gave up in the voice menu (the dialplan decides who: 20-hotline.conf)
            await self._missed(event, "menu", "", int(event.get("Waited") or 0))
        elif name in self._sos_events:
            await self._sos_events[name](self, event)

    async def _hangup(self, event: Any) -> None:
        await SosTimeline._hangup(self, event)
        await self._recording_closed(event)

    async def _missed(self, event: Any, reason: str, queue: str, waited: int) -> None:
        """零呼损: every caller who left unanswered becomes a callback to make."""
        context = call_context(event)
        await self.store.enqueue_missed({
            "call_id": context.get(cv.CALL_ID) or event.get("Uniqueid", ""),
            "caller": context.get(cv.CALLER) or None, "hotline": context.get(cv.HOTLINE, ""),
            "queue": queue, "waited_s": waited, "reason": reason,
        })  # fmt: skip

    @classmethod
    def user_events(cls) -> frozenset[str]:
        """Every UserEvent name _user_event handles."""
        return frozenset({"YhtQueueNoAgent", "YhtMenuHangup", *cls._sos_events})

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
        "FullyBooted": SeatReachability.fully_booted,
    }
