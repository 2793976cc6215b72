"""Erlang C against an independent implementation (pyworkforce)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyworkforce.queuing import ErlangC

from ticketing.reports.staffing import erlang_c, seats_needed, service_level


@settings(max_examples=200, deadline=None)
@given(calls=st.integers(1, 1500), handle_s=st.integers(30, 900),
       target_s=st.sampled_from([10, 15, 20, 30]),
       goal=st.sampled_from([0.7, 0.8, 0.9]))  # fmt: skip
def test_seats_needed_agree_with_pyworkforce(calls, handle_s, target_s, goal):
    ours = seats_needed(calls, handle_s, 1800, target_s, goal)
    # pyworkforce takes minutes: half an hour, handle time and target in minutes
    model = ErlangC(transactions=calls, aht=handle_s / 60, asa=target_s / 60, interval=30,
                    shrinkage=0.0)  # fmt: skip
    theirs = model.required_positions(service_level=goal, max_occupancy=1.0)
    assert ours.seats == theirs["raw_positions"]
    assert ours.service_level == pytest.approx(theirs["service_level"], abs=1e-6)
    assert ours.wait_probability == pytest.approx(theirs["waiting_probability"], abs=1e-6)


def test_the_textbook_case_and_the_edges():
    # 100 calls in half an hour, 3 minutes each: 10 erlangs; 80 % in 15 s
    need = seats_needed(100, 180)
    assert need.seats == 14 and need.service_level >= 0.8
    assert service_level(13, 10.0, 180, 15) < 0.8
    assert erlang_c(10, 10.0) == 1.0 and service_level(9, 10.0, 180, 15) == 0.0
    assert seats_needed(0, 180).seats == 0
