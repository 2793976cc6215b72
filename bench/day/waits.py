"""How long each caller waited in a queue, from Asterisk's own event times.

queue_log (what the reports read) gives waits in whole seconds: right for a
real center's 15-second target, but a day compressed 48 times has 0.31 s
of real waiting for those 15 s, below that resolution. The AMI events carry
the moment Asterisk raised them to the microsecond (manager.conf
`timestampevents`): a caller's stay runs from its QueueCallerJoin to its
AgentConnect (answered) or QueueCallerAbandon (gave up); a stay that ends
otherwise (a key, a timeout, a restart) is offered but neither.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from panoramisk import Manager

EVENTS = ("QueueCallerJoin", "AgentCalled", "AgentConnect", "QueueCallerAbandon")
log = logging.getLogger("bench.day.waits")


@dataclass
class Waits:
    """Every queue event of the day as (uniqueid, event, queue, timestamp)."""

    events: list[tuple[str, str, str, float]] = field(default_factory=list)
    manager: Manager | None = None

    async def connect(self, port: int, username: str, secret: str) -> None:
        # panoramisk logs in again by itself after Asterisk's restart
        self.manager = Manager(
            loop=asyncio.get_running_loop(), host="127.0.0.1", port=port,
            username=username, secret=secret, ping_delay=10,
        )  # fmt: skip
        for name in EVENTS:
            self.manager.register_event(name, self._record)
        await self.manager.connect()

    def _record(self, manager, event) -> None:
        try:
            at = float(event.get("Timestamp", ""))
        except ValueError:
            log.warning("a %s event without its timestamp", event.get("Event"))
            return
        self.events.append(
            (event.get("Uniqueid", ""), event.get("Event"), event.get("Queue", ""), at)
        )

    def close(self) -> None:
        if self.manager is not None:
            self.manager.close()


@dataclass
class Stay:
    queue: str
    # real seconds from the call's first join to the stay's end (a stay left
    # with a key: from its own join to the next join)
    wait_s: float
    outcome: str  # answered, abandoned, other
    ring_s: float | None = None  # the answering seat's ringing, real seconds
    first_ring_s: float | None = None  # joining to the first seat rung, real seconds
    rung: int = 0  # seats rung (AgentCalled) in this stay


def stays(
    events: list[tuple[str, str, str, float]], skip: tuple[str, ...] = ("sos",)
) -> list[Stay]:
    """Each queue stay of each caller, in the order they joined."""
    by_call: dict[str, list[tuple[float, str, str]]] = {}
    for uid, name, queue, at in events:
        by_call.setdefault(uid, []).append((at, name, queue))
    found: list[tuple[float, Stay]] = []
    for items in by_call.values():
        items.sort()
        current: tuple[float, str] | None = None
        # a wait counts from the call's first join, across every rejoin (as the reports)
        first_join: float | None = None
        rung: float | None = None  # the latest seat rung
        first: float | None = None
        count = 0
        for at, name, queue in items:
            if name == "QueueCallerJoin":
                if current is not None:
                    stay = Stay(current[1], at - current[0], "other", None, first, count)
                    found.append((current[0], stay))
                current, rung, first, count = (at, queue), None, None, 0
                first_join = at if first_join is None else first_join
            elif current is None:
                continue
            elif name == "AgentCalled":
                rung, count = at, count + 1
                first = at - current[0] if first is None else first
            elif name in ("AgentConnect", "QueueCallerAbandon"):
                answered = name == "AgentConnect"
                ring = at - rung if answered and rung is not None else None
                outcome = "answered" if answered else "abandoned"
                since = first_join if first_join is not None else current[0]
                stay = Stay(current[1], at - since, outcome, ring, first, count)
                found.append((current[0], stay))
                current = None
        if current is not None:
            found.append((current[0], Stay(current[1], 0.0, "other", None, first, count)))
    return [stay for _, stay in sorted(found, key=lambda x: x[0]) if stay.queue not in skip]


def figures(found: list[Stay], compress: float, target_s: float = 15.0,
            short_s: float = 5.0) -> dict:  # fmt: skip
    """The reports' 15-second answer rate over these stays, in the day's
    (simulated) seconds: answered within `target_s` ÷ (offered − abandoned
    within `short_s` − left with a key). A stay the caller ended with a key
    (order progress, another queue) is the caller's choice, not a call the
    center left unanswered: the caller's next stay is counted, as the
    reports count a call once (the twelve-times peak: 93.0 % with its 11
    key presses counted as not answered in time, 94.3 % without them; the
    reports' own figure from queue_log 94.2 %)."""
    answered = [s for s in found if s.outcome == "answered"]
    short = sum(1 for s in found if s.outcome == "abandoned" and s.wait_s * compress < short_s)
    in_target = sum(1 for s in answered if s.wait_s * compress <= target_s)
    left = sum(1 for s in found if s.outcome == "other")
    counted = len(found) - short - left
    waits = sorted(s.wait_s for s in answered)
    rings = sorted(s.ring_s for s in answered if s.ring_s is not None)

    # why an answered call was late: no seat was free to ring within the
    # target (staffing, and app_queue looks again only every real second);
    # a seat was rung in time but a first one did not answer; or the seat
    # rung in time answered, only late (Asterisk and the phone's own speed)
    late = [s for s in answered if s.wait_s * compress > target_s]
    queued = sum(1 for s in late if s.first_ring_s is None or s.first_ring_s * compress > target_s)
    rerung = sum(
        1 for s in late if s.first_ring_s is not None and s.first_ring_s * compress <= target_s
        and s.rung > 1
    )  # fmt: skip

    def at(values: list[float], share: float) -> float | None:
        return round(values[min(len(values) - 1, int(share * len(values)))], 3) if values else None

    return {
        "offered": len(found),
        "answered": len(answered),
        "short_abandoned": short,
        "left_with_a_key": left,
        "answered_in_target": in_target,
        "rate_in_target": in_target / counted if counted else None,
        "wait_real_s": {"p50": at(waits, 0.5), "p95": at(waits, 0.95)},
        "ring_real_s": {"p50": at(rings, 0.5), "p95": at(rings, 0.95)},
        "late": {
            "no_seat_free": queued,
            "first_seat_did_not_answer": rerung,
            "seat_answered_late": len(late) - queued - rerung,
        },
    }
