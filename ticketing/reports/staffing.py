"""Seats needed (Erlang C), per half hour, from the measured arrivals and
handle times: the fewest seats at which the share of calls answered within
the target (15 s) reaches the goal (80 %), for the shift lead to hold
against the shift plan.

With A = arrivals × handle time / interval (the load in erlangs) and N
seats (N > A), the probability that a caller waits is Erlang C:
    C(N, A) = E_B(N, A) · N / (N − A · (1 − E_B(N, A)))
with E_B Erlang B (computed by its recursion), and the service level is
    SL = 1 − C(N, A) · exp(−(N − A) · target / handle time).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.reports.models import QueueCall
from yht.shifts import ShiftPlan


def erlang_b(seats: int, load: float) -> float:
    blocked = 1.0
    for k in range(1, seats + 1):
        blocked = load * blocked / (k + load * blocked)
    return blocked


def erlang_c(seats: int, load: float) -> float:
    """Probability that a caller has to wait (1 when the seats cannot keep up)."""
    if seats <= load:
        return 1.0
    blocked = erlang_b(seats, load)
    return seats * blocked / (seats - load * (1 - blocked))


def service_level(seats: int, load: float, handle_s: float, target_s: float) -> float:
    if seats <= load:
        return 0.0
    return 1 - erlang_c(seats, load) * math.exp(-(seats - load) * target_s / handle_s)


@dataclass(frozen=True)
class Need:
    seats: int
    service_level: float
    occupancy: float
    wait_probability: float


def seats_needed(calls: float, handle_s: float, interval_s: float = 1800.0,
                 target_s: float = 15.0, goal: float = 0.8, most: int = 2000) -> Need:  # fmt: skip
    """The fewest seats that answer `goal` of `calls` (arriving in
    `interval_s`, each taking `handle_s` of talk and wrap-up) within
    `target_s`. No calls: no seats."""
    if calls <= 0 or handle_s <= 0:
        return Need(0, 1.0, 0.0, 0.0)
    load = calls * handle_s / interval_s
    seats = max(1, math.floor(load) + 1)
    while seats < most and service_level(seats, load, handle_s, target_s) < goal:
        seats += 1
    return Need(seats, service_level(seats, load, handle_s, target_s), load / seats,
                erlang_c(seats, load))  # fmt: skip


def half_hours(db_session: Session, day: dt.date, plan: ShiftPlan, target_s: float, goal: float,
               wrapup_s: float, default_handle_s: float = 180.0) -> dict:  # fmt: skip
    """Per half hour of `day`: the calls offered (all queues but SOS), the
    handle time measured (talk + wrap-up; the day's mean where a half hour
    has none), the seats Erlang C needs and the seats the shift plan opens."""
    start = dt.datetime.combine(day, dt.time(), plan.tz)
    rows = db_session.execute(
        select(QueueCall.entered_at, QueueCall.outcome, QueueCall.talk_s).where(
            QueueCall.entered_at >= start, QueueCall.entered_at < start + dt.timedelta(days=1),
            QueueCall.queue != "sos"))  # fmt: skip
    offered = [0] * 48
    talks: list[list[float]] = [[] for _ in range(48)]
    for entered_at, outcome, talk_s in rows:
        slot = int((entered_at - start).total_seconds() // 1800)
        if outcome in ("answered", "abandoned", "timeout"):
            offered[slot] += 1
        if talk_s is not None:
            talks[slot].append(talk_s + wrapup_s)
    every = [t for slot in talks for t in slot]
    day_handle = sum(every) / len(every) if every else default_handle_s
    out: list[dict] = []
    short: list[str] = []
    for slot in range(48):
        moment = start + dt.timedelta(minutes=30 * slot)
        handle = sum(talks[slot]) / len(talks[slot]) if talks[slot] else day_handle
        need = seats_needed(offered[slot], handle, 1800, target_s, goal)
        planned = plan.current(moment).seats
        out.append({"from": moment.strftime("%H:%M"), "offered": offered[slot],
                    "handle_s": round(handle, 1), "seats_needed": need.seats,
                    "service_level": round(need.service_level, 4), "planned": planned})  # fmt: skip
        if need.seats > planned:
            short.append(moment.strftime("%H:%M"))
    return {"day": day.isoformat(), "target_s": target_s, "goal": goal, "rows": out,
            "short": short}  # fmt: skip
