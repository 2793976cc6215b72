"""After every new AMI session the picture is rebuilt from QueueStatus:
a restart of Asterisk or of the ACD costs nothing but a few seconds."""

from __future__ import annotations

from typing import Any

from acd import ami
from acd.core import (
    AGENT_CHANNEL,
    SOS_QUEUE,
    UNREACHABLE,
    WRAPUP_REASON,
    agent_of,
    call_context,
    log,
)
from acd.reachable import SeatReachability
from acd.states import AgentState
from yht import channelvars as cv


class Resync(SeatReachability):
    async def resync(self) -> None:
        """Rebuild seats and waiting callers from QueueStatus (after a connect)."""
        members: dict[str, dict[str, Any]] = {}
        waiting: dict[str, dict[str, float]] = {}
        now = self.clock()
        for event in await ami.queue_status(self.manager):
            name = event.get("Event")
            if name == "QueueParams":
                # Asterisk's own counts since it started (servicelevel = 15 in
                # queues.conf): a restarted ACD shows the same figures
                figures = self._queue(event["Queue"])
                completed = int(event.get("Completed") or 0)
                figures.answered = completed
                figures.abandoned = int(event.get("Abandoned") or 0)
                performance = float(event.get("ServicelevelPerf") or 0)
                figures.answered_in_target = round(completed * performance / 100)
            elif name == "QueueMember":
                agent_id = agent_of(event)
                if agent_id:
                    entry = members.setdefault(agent_id, {"queues": [], "event": event})
                    entry["queues"].append(event["Queue"])
                    if entry["event"].get("Queue") == SOS_QUEUE:
                        entry["event"] = event  # an ordinary queue tells the pause
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
            if state not in (AgentState.talking, AgentState.ringing):
                # a call remembered from before a restart that has ended since
                seat.call_id, seat.call_since, seat.sos = "", 0.0, False
                seat.agent_channel = seat.caller_channel = seat.conference = ""
            if member and member["event"].get("PausedReason") == WRAPUP_REASON:
                self._wrapup_timer(agent_id)  # a wrap-up whose timer this process never had
            await self.store.save_seat(seat)
        self.waiting = waiting
        # a new session may follow a restart of Asterisk: its phones are asked now
        await self.qualify_seats(sorted(members))
        talking = [a for a, s in self.seats.items() if s.state == AgentState.talking]
        if talking:
            await self._recover_calls(talking)
        for queue in self.queues:
            await self._save_queue(queue)
        log.info("resynced: %d seats logged in, %d callers waiting", len(members),
                 sum(len(w) for w in waiting.values()))  # fmt: skip

    async def _recover_calls(self, agent_ids: list[str]) -> None:
        """The call each talking seat is on (the other channel in the seat's
        bridge, with its context) from CoreShowChannels: a call taken while
        this process was down replaces the one remembered, and its desk gets
        the screen-pop it never had."""
        channels = await ami.channels(self.manager)
        for agent_id in agent_ids:
            mine = [c for c in channels
                    if (m := AGENT_CHANNEL.match(c.get("Channel", "") or ""))
                    and m.group(1) == agent_id and c.get("BridgeId")]  # fmt: skip
            if not mine:
                continue
            # the citizen's leg: in the seat's bridge, carrying the IVR's context
            callers = [c for c in channels if c.get("BridgeId") == mine[0]["BridgeId"]
                       and call_context(c).get(cv.CALL_ID)
                       and not AGENT_CHANNEL.match(c.get("Channel", "") or "")]  # fmt: skip
            if not callers:
                continue
            # the channel the IVR answered (its YHT_CALL_ID is its own uniqueid) first
            callers.sort(key=lambda c: call_context(c).get(cv.CALL_ID) != c.get("Uniqueid"))
            caller, context = callers[0], call_context(callers[0])
            seat = self.seat(agent_id)
            if seat.call_id == caller.get("Uniqueid") and self.offered(agent_id, seat.call_id):
                continue
            if seat.call_id != caller.get("Uniqueid"):
                seat.call_since = self.clock()
            seat.call_id = caller.get("Uniqueid", "")
            seat.caller_channel, seat.agent_channel = caller.get("Channel", ""), mine[0]["Channel"]
            seat.sos = context.get(cv.CATEGORY) == "sos"
            await self.store.save_seat(seat)
            log.info("seat %s: call %s taken while the ACD was down; its pop is sent now",
                     agent_id, seat.call_id)  # fmt: skip
            await self._offer(agent_id, {**caller, "Queue": context.get(cv.QUEUE, "")}, context)


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
