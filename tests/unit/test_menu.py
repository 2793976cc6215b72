"""The voice front end's rules, on plain values (no Asterisk)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.menu import (
    DTMF_KEYS,
    Collect,
    LookupOrder,
    MenuSession,
    OrderLookupResult,
    OrderStatus,
    Route,
    load_menu,
)

MENU = load_menu()


def session(**kwargs) -> MenuSession:
    return MenuSession(MENU, hotline=kwargs.pop("hotline", "12345"), **kwargs)


def test_welcome_names_the_dialled_hotline_then_offers_the_menu():
    step = session(hotline="96010").start()
    assert step == Collect(("welcome-96010", "menu"), max_digits=1, timeout_ms=3000)


def test_a_hotline_without_its_own_welcome_gets_the_generic_one():
    assert session(hotline="88888").start().prompts == ("welcome", "menu")


def test_silence_goes_straight_to_an_agent_without_another_prompt():
    s = session()
    s.start()
    assert s.on_input("") == Route("hotline", "general", priority=0, prompts=())
    assert s.ivr_path == "welcome>menu:none"


def test_key_2_is_the_car_moving_service():
    s = session()
    s.start()
    assert s.on_input("2") == Route("hotline", "carmove", 0, ("transfer",))


def test_key_9_reaches_the_dialect_seats():
    s = session()
    s.start()
    assert s.on_input("9").queue == "dialect"


def test_a_wrong_key_is_retried_once_then_routed_to_an_agent():
    s = session()
    s.start()
    retry = s.on_input("7")
    assert retry == Collect(("invalid", "menu"), 1, 3000)
    final = s.on_input("5")
    assert isinstance(final, Route) and final.category == "general"
    assert s.ivr_path == "welcome>menu:invalid>menu:invalid"


def test_a_wrong_key_then_a_valid_one_is_honoured():
    s = session()
    s.start()
    s.on_input("*")
    assert s.on_input("2").category == "carmove"


def test_repeat_callers_are_raised_one_priority_step():
    s = session(repeat_caller=True)
    s.start()
    assert s.on_input("").priority == MENU.repeat_caller.priority_boost == 1


def test_after_hours_notice_plays_before_the_welcome():
    step = session(opening_prompts=("after-hours",)).start()
    assert step.prompts == ("after-hours", "welcome-12345", "menu")


def test_order_progress_asks_for_a_number_terminated_by_pound():
    s = session()
    s.start()
    step = s.on_input("1")
    assert step == Collect(("order-number",), 16, 6000, terminator="#")
    assert s.on_input("20261125000123") == LookupOrder("20261125000123")
    assert s.order_number == "20261125000123"


def test_order_lookup_unavailable_still_reaches_an_agent():
    s = session()
    s.start()
    s.on_input("1")
    s.on_input("20261125000123")
    route = s.on_order_lookup(OrderLookupResult(OrderStatus.UNAVAILABLE))
    assert route == Route("hotline", "order_progress", 0, ("order-unavailable",))
    assert s.ivr_path == "welcome>menu:1>order:entered>order:unavailable"


def test_a_found_order_tells_the_caller_its_stage_then_offers_an_agent():
    s = session()
    s.start()
    s.on_input("1")
    s.on_input("20261125000123")
    route = s.on_order_lookup(OrderLookupResult(OrderStatus.FOUND, "processing"))
    assert route.prompts == ("order-state-processing", "transfer")
    assert s.ivr_path.endswith("order:entered>order:found")
    s2 = session()
    s2.start()
    s2.on_input("1")
    s2.on_input("20261125000123")
    unknown_stage = s2.on_order_lookup(OrderLookupResult(OrderStatus.FOUND, "martian"))
    assert unknown_stage.prompts == ("transfer",)


def test_a_malformed_order_number_is_retried_once():
    s = session()
    s.start()
    s.on_input("1")
    assert isinstance(s.on_input("12"), Collect)
    route = s.on_input("")
    assert isinstance(route, Route) and route.category == "order_progress"
    assert s.ivr_path == "welcome>menu:1>order:invalid>order:none"


def test_input_after_the_route_is_a_programming_error():
    s = session()
    s.start()
    s.on_input("2")
    with pytest.raises(RuntimeError):
        s.on_input("3")


@given(st.lists(st.text(alphabet=DTMF_KEYS + "xA ", max_size=20), max_size=12))
def test_any_input_sequence_ends_at_an_agent_within_bounded_steps(inputs):
    """Whatever a caller presses, the menu never loops: it reaches a queue."""
    s = session()
    step = s.start()
    for digits in [*inputs, "", "", "", ""]:
        if isinstance(step, Route):
            break
        if isinstance(step, LookupOrder):
            step = s.on_order_lookup(OrderLookupResult(OrderStatus.NOT_FOUND))
            continue
        step = s.on_input(digits)
    assert isinstance(step, Route)
    assert step.queue in {"hotline", "dialect"}
    assert len(s.path) <= 6


def test_menu_data_rejects_an_option_that_is_not_a_key(tmp_path):
    bad = tmp_path / "menu.yaml"
    bad.write_text((load_menu.__defaults__[0]).read_text().replace('"9":', '"99":'))
    with pytest.raises(ValueError, match="not a single DTMF key"):
        load_menu(bad)
