"""The ACD's state and the helpers every feature uses: seats, queue figures,
waiting callers, SOS calls in progress, wrap-up timers. The features
(call control, the SOS timeline, the resync, the event handlers) build on it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from acd import ami
from acd.states import AgentState, Signal, next_state
from acd.store import AcdStore, QueueFigures, Seat
from yht import channelvars as cv
from yht.ami import agent_of, call_context  # noqa: F401 (acd modules import them from here)
from yht.dialling import OutboundRule
from yht.events import CallOffered

log = logging.getLogger("acd")
WRAPUP_REASON = "wrapup"
# The SOS line rings every logged-in seat that is not on a call: a pause or a
# wrap-up holds back ordinary calls only, never an emergency
SOS_QUEUE = "sos"
# a seat's own leg: PJSIP/agent1001-00000012
AGENT_CHANNEL = re.compile(r"^PJSIP/agent([0-9]+)-")
UNREACHABLE = ("4", "5")  # QueueMemberStatus: AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE
NOT_A_MEMBER = "Interface not found"  # app_queue's answer about a non-member


class UnknownSeat(Exception):
    pass


class CallActionRefused(Exception):
    """A call action that does not fit the seat's call (no call, wrong target)."""


def load_skills(path) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["default"], {str(k): v for k, v in (data.get("seats") or {}).items()}


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
    contacts_called: bool = False  # once, when 120 is on the line


class AcdCore:
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
        self.sos_channels: dict[str, str] = {}  # SOS caller waiting: uniqueid -> channel
        self.sos_member_status: dict[str, str] = {}  # seat -> last device status in "sos"
        # recorded calls answered: call id -> (first seat, answer time ISO)
        self.recorded: dict[str, tuple[str, str | None]] = {}
        # each seat's screen-pop for its current (or last) call
        self.offers: dict[str, CallOffered] = {}
        self.sos_center = "120"  # AcdSettings.sos_center (runner.py)
        self._offered_channel: dict[str, str] = {}  # seat -> the rung caller channel's uniqueid
        self._timers: dict[str, asyncio.Task] = {}

    def skills_of(self, agent_id: str) -> dict[str, int]:
        return self.skills.get(agent_id, self.default_skills)

    def seat(self, agent_id: str) -> Seat:
        return self.seats.setdefault(agent_id, Seat(agent_id, since=self.clock()))

    def _require_logged_in(self, agent_id: str) -> None:
        if self.seat(agent_id).state == AgentState.logged_out:
            raise UnknownSeat(f"座席 {agent_id} 未登录")

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

    async def _pause(self, agent_id: str, reason: str) -> None:
        """Pause a seat in its ordinary queues, never in the SOS queue."""
        ordinary = [q for q in self.seat(agent_id).queues if q != SOS_QUEUE]
        for queue in ordinary or [""]:
            await ami.queue_pause(self.manager, agent_id, True, reason, queue)

    def _sos_only_view(self, event: Any, agent_id: str) -> bool:
        """An SOS-queue member event of a seat that has ordinary queues: its
        pause fields say nothing about the seat (it is never paused there)."""
        return event.get("Queue") == SOS_QUEUE and any(
            q != SOS_QUEUE for q in self.seat(agent_id).queues
        )

    async def _left_queue(self, queue: str, uniqueid: str) -> None:
        self.waiting.get(queue, {}).pop(uniqueid, None)
        if queue == SOS_QUEUE:
            self.sos_channels.pop(uniqueid, None)
        await self._save_queue(queue)

    async def _save_queue(self, queue: str) -> None:
        figures = self._queue(queue)
        waiting = self.waiting.get(queue, {})
        figures.waiting = len(waiting)
        figures.oldest_join = min(waiting.values(), default=0.0)
        await self.store.save_queue(figures)

    async def _offer(self, agent_id: str, event: Any, context: dict[str, str]) -> None:
        """The screen-pop of the call ringing or bridged to the seat: the
        call's context as the IVR left it (its channel variables)."""
        # the call's own id (YHT_CALL_ID), which the work order, the recording
        # and the SOS record carry: after an SOS escalation the seat is rung
        # from the offer's Local channel, whose uniqueid is no call of anyone's
        uniqueid = event.get("Uniqueid", "")
        offer = CallOffered(agent_id=agent_id, queue=event.get("Queue", ""),
                            call_id=context.get(cv.CALL_ID) or uniqueid,
                            channel=event.get("Channel", ""), context=context,
                            at=self.clock())  # fmt: skip
        self.offers[agent_id] = offer
        self._offered_channel[agent_id] = uniqueid
        await self.store.offer(offer)

    def offered(self, agent_id: str, uniqueid: str) -> bool:
        """The seat's desk has the pop of the call on this (caller's) channel."""
        offer = self.offers.get(agent_id)
        if offer is None:
            return False
        # an offer remembered from Redis by a restarted ACD: its call id
        return self._offered_channel.get(agent_id, offer.call_id) == uniqueid

    async def rewrite_store(self, publish_offers: bool = False) -> None:
        """Write every seat and queue figure as this process holds them (an
        emptied live Redis): nothing is reset, times in state are kept. The
        pops are kept, and sent again only when writes were lost (one of
        them may have been a pop; a desk takes a pop of the call it shows)."""
        for seat in list(self.seats.values()):
            await self.store.save_seat(seat)
        for queue in list(self.queues):
            await self._save_queue(queue)
        for offer in list(self.offers.values()):
            await self.store.offer(offer, publish=publish_offers)

    def _cancel_timer(self, agent_id: str) -> None:
        task = self._timers.pop(agent_id, None)
        if task is not None:
            task.cancel()

    def _wrapup_timer(self, agent_id: str) -> None:
        """Make sure a seat paused for wrap-up gets unpaused (after a resync,
        or when its phone comes back): one timer per seat."""
        if agent_id not in self._timers:
            self._timers[agent_id] = asyncio.create_task(self._end_wrapup(agent_id))

    async def _end_wrapup(self, agent_id: str, first_retry_s: float = 1.0) -> None:
        """Unpause the seat when its wrap-up time is over; an unpause Asterisk
        does not take (its AMI busy past the timeout at a peak, a restart) is
        tried again with backoff while the seat is still in wrap-up: the ninth
        day's unpauses that timed out at the morning peak left those seats
        paused, taking no call, for the rest of the shift."""
        await asyncio.sleep(self.wrapup_seconds)
        delay = first_retry_s
        try:
            while self._wraps_up(self.seat(agent_id)):
                try:
                    await ami.queue_pause(self.manager, agent_id, False)
                    return
                except ami.AmiError as error:
                    if NOT_A_MEMBER in str(error):
                        return  # logged out meanwhile: nothing to unpause
                    log.warning("ending seat %s's wrap-up failed (%s); again in %.0f s",
                                agent_id, error, delay)  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        finally:
            if self._timers.get(agent_id) is asyncio.current_task():
                self._timers.pop(agent_id, None)

    @staticmethod
    def _wraps_up(seat: Seat) -> bool:
        # a phone that dropped off during wrap-up is still unpaused: Asterisk
        # keeps the pause, and nobody would lift it when the phone returns
        return seat.state == AgentState.wrapup or (
            seat.state == AgentState.unreachable and not seat.reason
        )

    async def _timeline(self, sos: SosCall, kind: str, detail: str, seat: str = "") -> None:
        await self.store.enqueue_sos({"call_id": sos.call_id, "kind": kind, "at": self.clock(),
                                      "detail": detail, "seat": seat or None})  # fmt: skip
