"""A season replayed: heating complaints climb after four quiet weeks; the
surge alarm fires on the day they jump and not on any day before, and other
subjects' ordinary noise raises nothing."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from ticketing.reports.surge import baseline, keywords, poisson_tail, surges_on

START = dt.date(2026, 10, 5)  # a Monday


def noisy(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth), so the quiet weeks vary as real ones do."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def season() -> dict[str, dict[dt.date, int]]:
    rng = random.Random(20261105)
    weekday = [1.3, 1.1, 1.0, 1.0, 1.0, 0.7, 0.6]  # Mondays busiest
    heating, roads, noise = {}, {}, {}
    for n in range(42):
        day = START + dt.timedelta(days=n)
        factor = weekday[day.weekday()]
        # heating: 12 a day for four weeks, then the cold comes on day 31
        climb = {28: 1.0, 29: 1.1, 30: 1.3, 31: 3.0, 32: 4.0, 33: 5.0}.get(
            n, 1.0 if n < 28 else 5.0
        )
        heating[day] = noisy(rng, 12 * factor * climb)
        roads[day] = noisy(rng, 20 * factor)
        noise[day] = noisy(rng, 3 * factor)
    return {"heating": heating, "roads": roads, "noise": noise}


def test_the_alarm_fires_on_the_day_heating_jumps_and_not_before():
    counts = season()
    first = START + dt.timedelta(days=28)  # four weeks of baseline behind it
    fired = {}
    for n in range(14):
        day = first + dt.timedelta(days=n)
        for surge in surges_on(day, counts):
            fired.setdefault(surge.key, day)
    assert fired == {"heating": START + dt.timedelta(days=31)}


def test_the_tail_and_the_baseline():
    assert poisson_tail(0, 5.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - math.exp(-2))
    assert poisson_tail(30, 10.0) < 1e-6 < poisson_tail(15, 10.0)
    counts = {START + dt.timedelta(weeks=w): 10 * w for w in range(1, 5)}
    assert baseline(counts, START + dt.timedelta(weeks=5)) == 25.0


def test_the_words_behind_a_surge_are_named():
    texts = ["家里暖气不热, 室温只有十二度", "暖气片冰凉, 供暖公司电话打不通", "小区暖气不热"]
    assert "暖气" in keywords(texts)
