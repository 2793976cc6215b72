"""Occupancy per seat, from queue_log: how much of the time a seat was
available to take calls it spent on them.

A seat is logged in while it is a member of at least one queue (ADDMEMBER
to REMOVEMEMBER, written by Asterisk when the ACD adds or removes it), and
paused while it is paused in every queue it is in (PAUSE / UNPAUSE, written
per queue). Its handle time is the talk of the calls it answered in the
period plus the wrap-up the ACD gives each (YHT_ACD_WRAPUP_SECONDS)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.reports.calls import ratio
from ticketing.reports.models import QueueCall, QueueLogLine

FORMULAS = {
    "logged_in_s": "签入时长 = 座席在至少一个队列中的秒数 (ADDMEMBER 至 REMOVEMEMBER)",
    "paused_s": "示忙时长 = 签入且在所在的每个队列都示忙的秒数",
    "handled_s": "处理时长 = 接起来电的通话秒数 + 每通话后处理 {wrapup} 秒",
    "occupancy": "座席占用率 = 处理时长 ÷ (签入时长 − 示忙时长)",
}
MEMBERSHIP = ("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE")
# how far back a seat's log-in is looked for: one that has been in a queue
# longer than this without a line counts from the period's start only
LOOKBACK = dt.timedelta(days=31)


@dataclass
class Seat:
    queues: set[str] = field(default_factory=set)
    paused: set[str] = field(default_factory=set)
    since: dt.datetime | None = None  # the last moment accounted for
    logged_in_s: float = 0.0
    paused_s: float = 0.0

    def advance(self, to: dt.datetime) -> None:
        """Account the time since the last change, in the state it was in."""
        if self.since is not None and to > self.since and self.queues:
            seconds = (to - self.since).total_seconds()
            self.logged_in_s += seconds
            if self.queues <= self.paused:
                self.paused_s += seconds
        self.since = to if self.since is None else max(self.since, to)

    def change(self, queue: str, event: str) -> None:
        if event == "ADDMEMBER":
            self.queues.add(queue)
        elif event == "REMOVEMEMBER":
            self.queues.discard(queue)
            self.paused.discard(queue)
        elif event == "PAUSE":
            self.paused.add(queue)
        else:
            self.paused.discard(queue)


def seat_figures(db_session: Session, start: dt.datetime, end: dt.datetime, wrapup_s: float,
                 now: dt.datetime | None = None) -> dict:  # fmt: skip
    """Per seat for the period [start, end): calls answered, talk, handle
    time, logged-in and paused seconds, and the occupancy."""
    until = min(end, now or dt.datetime.now(dt.UTC))
    seats: dict[str, Seat] = defaultdict(Seat)
    lines = db_session.execute(
        select(QueueLogLine.at, QueueLogLine.queue, QueueLogLine.agent, QueueLogLine.event)
        .where(QueueLogLine.event.in_(MEMBERSHIP), QueueLogLine.at >= start - LOOKBACK,
               QueueLogLine.at < until)
        .order_by(QueueLogLine.id)  # file order: a clock jump does not reorder a seat's lines
    )  # fmt: skip
    for at, queue, agent, event in lines:
        seat = seats[agent]
        seat.advance(max(at, start))
        seat.change(queue, event)
    calls = db_session.execute(
        select(QueueCall.agent, QueueCall.talk_s).where(
            QueueCall.outcome == "answered", QueueCall.connected_at >= start,
            QueueCall.connected_at < end)
    )  # fmt: skip
    answered: dict[str, list[float]] = defaultdict(list)
    for agent, talk_s in calls:
        answered[agent].append(talk_s or 0.0)
    rows = []
    for agent in sorted(set(seats) | set(answered)):
        seat = seats[agent]
        seat.advance(max(until, start))
        talks = answered.get(agent, [])
        handled = sum(talks) + wrapup_s * len(talks)
        available = seat.logged_in_s - seat.paused_s
        if not (seat.logged_in_s or talks):
            continue
        rows.append({
            "agent": agent, "answered": len(talks), "talk_s": round(sum(talks), 1),
            "handled_s": round(handled, 1), "logged_in_s": round(seat.logged_in_s, 1),
            "paused_s": round(seat.paused_s, 1),
            "occupancy": ratio(handled, available) if available >= 1 else None,
        })  # fmt: skip
    return {"formulas": {k: v.format(wrapup=f"{wrapup_s:g}") for k, v in FORMULAS.items()},
            "seats": rows}  # fmt: skip
