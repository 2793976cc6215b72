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

import math
from dataclasses import dataclass


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
