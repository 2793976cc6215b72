"""The day's account of its recordings: how much of each answered call its
recording lacks (bench/day/account.py), and how the report states it."""

from __future__ import annotations

import datetime as dt

from bench.day.account import shortfall_s
from bench.day.report import _shortfall

ANSWER = dt.datetime(2026, 11, 27, 13, 33, 22, 270000, tzinfo=dt.UTC)


def test_the_shortfall_is_the_call_minus_the_recording_never_negative():
    hang_up = ANSWER + dt.timedelta(seconds=4.09)
    assert shortfall_s(ANSWER, hang_up, 0.0) == 4.09  # an empty file
    assert shortfall_s(ANSWER, hang_up, None) == 4.09  # no file at all
    assert shortfall_s(ANSWER, hang_up, 2.06) == 2.03
    assert shortfall_s(ANSWER, hang_up, 4.1) == 0.0  # the file's last frame


def test_the_report_names_the_calls_that_lack_more_than_a_second():
    line = _shortfall([0.0] * 8 + [2.13, 8.1])
    # p90 by bench.common.percentile (nearest rank over n - 1): the 9th of 10
    assert "median 0.00 s" in line and "p90 2.13 s" in line and "max 8.10 s" in line
    assert "**2 of 10 lack more than 1 s**" in line
    assert "no answered call" in _shortfall([])
