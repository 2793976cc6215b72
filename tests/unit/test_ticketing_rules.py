"""Pure rules of the work-order service: transition table, working-day calendar, ladder."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from ticketing.auth.roles import Role
from ticketing.context import Context
from ticketing.orders import workflow
from ticketing.orders.enums import OrderType, State
from ticketing.orders.models import WorkOrder
from ticketing.orders.related import address_key
from ticketing.settings import TicketingSettings
from ticketing.supervision.policy import Limit, WorkingCalendar, due_at, load_policy
from ticketing.supervision.service import rungs_reached

CST = dt.timezone(dt.timedelta(hours=8))
POLICY = load_policy(TicketingSettings().policy_file)
CALENDAR = WorkingCalendar(POLICY)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


@pytest.mark.parametrize(("action", "state", "role"), list(itertools.product(
    workflow.TRANSITIONS, list(State), list(Role))))  # fmt: skip
def test_every_action_is_allowed_exactly_where_the_table_says(action, state, role):
    rule = workflow.TRANSITIONS[action]
    allowed = state in rule.sources and role in rule.roles
    try:
        target = workflow.check(
            action,
            state=state,
            role=role,
            order_type=OrderType.consultation,
            actor_unit=7,
            main_unit=7,
        )
    except workflow.TransitionRefused as refused:
        assert not allowed, refused.reason
        assert refused.reason
    else:
        assert allowed and target == rule.target


def test_only_the_main_unit_may_work_an_order():
    with pytest.raises(workflow.TransitionRefused) as refused:
        workflow.check(
            "accept",
            state=State.dispatched,
            role=Role.unit_handler,
            order_type=OrderType.help,
            actor_unit=3,
            main_unit=4,
        )
    assert refused.value.forbidden


def test_no_transition_leaves_evaluated_or_merged():
    for rule in workflow.TRANSITIONS.values():
        assert State.evaluated not in rule.sources and State.merged not in rule.sources


def test_help_gets_two_working_days_across_the_national_day_holiday():
    created = at(2026, 9, 30, 10, 0)
    assert due_at(POLICY, CALENDAR, created, "help", "normal") == at(2026, 10, 9, 10, 0)


def test_a_make_up_saturday_counts_as_a_working_day():
    # 2026-10-10 (Saturday) is a make-up working day after the national day week
    assert CALENDAR.is_working_day(dt.date(2026, 10, 10))
    assert not CALENDAR.is_working_day(dt.date(2026, 10, 3))


def test_consultations_get_two_clock_hours_and_urgent_matters_the_same_day():
    created = at(2026, 11, 28, 22, 30)  # a Saturday night: the hotline works around the clock
    assert due_at(POLICY, CALENDAR, created, "consultation", "normal") == at(2026, 11, 29, 0, 30)
    assert due_at(POLICY, CALENDAR, created, "complaint", "urgent") == at(2026, 11, 28, 23, 59, 59)


def test_an_order_taken_on_a_weekend_counts_from_monday():
    created = at(2026, 11, 28, 15, 0)  # Saturday
    # five whole working days, Monday 30 Nov to Friday 4 Dec: due as the next one starts
    assert due_at(POLICY, CALENDAR, created, "complaint", "normal") == at(2026, 12, 7, 0, 0)


def test_years_beyond_the_official_calendar_use_weekends_and_configured_holidays():
    assert not CALENDAR.is_working_day(dt.date(2027, 2, 8))  # listed in policy.yaml
    assert CALENDAR.is_working_day(dt.date(2027, 3, 1))  # a Monday
    assert not CALENDAR.is_working_day(dt.date(2027, 3, 6))  # a Saturday
    assert CALENDAR.add_working_days(at(2027, 2, 4, 9, 0), 1) == at(2027, 2, 12, 9, 0)


def test_limits_never_end_before_they_start():
    for days in range(0, 12):
        start = at(2026, 12, 20, 8, 0)
        assert CALENDAR.apply(start, Limit(working_days=days)) >= start


def order(created: dt.datetime, due: dt.datetime, reopened: int = 0) -> WorkOrder:
    return WorkOrder(created_at=created, due_at=due, reopen_count=reopened)


CONTEXT = Context(TicketingSettings(), POLICY, CALENDAR)


def levels(item: WorkOrder, now: dt.datetime) -> list[int]:
    return [level for level, _name, _reason in rungs_reached(CONTEXT, item, now)]


def test_the_supervision_ladder_climbs_with_lateness():
    item = order(at(2026, 11, 16, 9, 0), at(2026, 11, 23, 9, 0))  # Mon → next Mon
    assert levels(item, at(2026, 11, 17, 9, 0)) == []
    assert levels(item, at(2026, 11, 22, 12, 0)) == [0]  # less than 20 % left
    assert levels(item, at(2026, 11, 23, 9, 0)) == [1]
    assert levels(item, at(2026, 11, 24, 9, 0)) == [1, 2]
    assert levels(item, at(2026, 11, 26, 9, 0)) == [1, 2, 3]
    assert levels(item, at(2026, 12, 7, 9, 0)) == [1, 2, 3, 4]


def test_repeated_dissatisfaction_goes_to_joint_supervision():
    item = order(at(2026, 11, 16, 9, 0), at(2026, 11, 30, 9, 0), reopened=2)
    assert levels(item, at(2026, 11, 17, 9, 0)) == [2]


def test_address_keys_ignore_spacing_width_and_punctuation():
    assert address_key("幸福路 12 号") == address_key("幸福路１２号") == address_key("幸福路12号。")
    assert address_key("  ") is None
