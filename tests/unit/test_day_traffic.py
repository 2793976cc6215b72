"""The day's callers: as many as asked, shaped like a citizen hotline's day
(quiet night, morning peak), Poisson within the hour, each caller unique."""

from __future__ import annotations

import statistics

from bench.day.traffic import HOURLY, day_plan


def test_a_day_has_its_callers_in_the_hotlines_shape():
    callers = day_plan(2500, seed=7)
    ordinary = [c for c in callers if not c.sos]
    assert 2300 < len(ordinary) < 2700  # Poisson around the number asked for
    assert len({c.number for c in callers}) == len(callers)
    per_hour = [sum(1 for c in ordinary if h * 3600 <= c.at_s < (h + 1) * 3600) for h in range(24)]
    assert per_hour[9] > 8 * per_hour[3]  # the morning peak against the night
    assert per_hour.index(max(per_hour)) == HOURLY.index(max(HOURLY))
    assert [c.at_s for c in callers] == sorted(c.at_s for c in callers)
    talks = [c.talk_s for c in ordinary]
    assert 150 < statistics.median(talks) < 215  # lognormal around three minutes
    assert min(c.patience_s for c in ordinary) >= 5
    keys = {c.key for c in ordinary}
    assert keys == {None, "1", "2", "9", "7"}
    sos = [c for c in callers if c.sos]
    assert len(sos) == 4 and sum(c.registered for c in sos) == 2


def test_a_short_day_is_the_profiles_first_minutes_and_the_same_for_a_seed():
    short = day_plan(20, seed=3, hours=0.1, sos_calls=1)
    assert all(c.at_s < 360 for c in short)
    assert 8 <= sum(not c.sos for c in short) <= 35
    assert short == day_plan(20, seed=3, hours=0.1, sos_calls=1)
