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
    RepeatCaller,
    Route,
    load_menu,
)
from ivr.render import install_wait_classes, musiconhold_sections, queue_keys, wait_classes

MENU = load_menu()


def session(**kwargs) -> MenuSession:
    return MenuSession(MENU, hotline=kwargs.pop("hotline", "12345"), **kwargs)


def queued(**kwargs) -> MenuSession:
    s = session(**kwargs)
    s.start()
    return s


def test_the_caller_is_queued_at_once_with_the_default_context():
    s = session()
    assert s.start() == Route("hotline", "general", priority=0, prompts=())
    assert s.ivr_path == "queue"


def test_the_wait_class_names_the_dialled_hotline():
    assert session(hotline="96010").wait_class == "yht-wait-welcome-96010"
    assert session(hotline="88888").wait_class == "yht-wait-welcome"


def test_after_hours_the_wait_class_starts_with_the_notice():
    s = session(opening_prompts=("after-hours",))
    assert s.wait_class == "yht-wait-welcome-12345-after-hours"
    assert s.wait_class in wait_classes(MENU)
    assert wait_classes(MENU)[s.wait_class] == ("after-hours", "welcome-12345", "menu")


def test_every_hotline_and_notice_has_a_wait_class():
    classes = wait_classes(MENU)
    for hotline in ("12345", "96010", "89000", "61696156", "7777"):
        for notice in ((), ("after-hours",), ("holiday",)):
            assert session(hotline=hotline, opening_prompts=notice).wait_class in classes


def test_key_2_requeues_for_the_car_moving_service_and_keys_still_work():
    s = queued()
    assert s.on_key("2") == Route("hotline", "carmove", 0, ())
    assert s.on_key("9").queue == "dialect"
    assert s.ivr_path == "queue>key:2>key:9"


def test_a_key_that_is_not_offered_is_refused():
    with pytest.raises(ValueError, match="not offered"):
        queued().on_key("7")


def test_repeat_callers_are_not_a_priority_class_of_their_own():
    """Issue 28 item 14: a repeat caller's advantage is seconds of waiting,
    given on the switch (30-queue.conf), not a priority step here."""
    s = session(repeat_caller=True)
    assert s.start().priority == 0 and s.on_key("2").priority == 0
    with pytest.raises(ValueError, match="priority_boost"):
        RepeatCaller.model_validate({"window_hours": 72, "priority_boost": 1})


def test_order_progress_asks_for_a_number_terminated_by_pound():
    s = queued()
    step = s.on_key("1")
    assert step == Collect(("order-number",), 16, 6000, terminator="#")
    assert s.on_input("20261125000123") == LookupOrder("20261125000123")
    assert s.order_number == "20261125000123"


def test_order_lookup_unavailable_still_reaches_an_agent():
    s = queued()
    s.on_key("1")
    s.on_input("20261125000123")
    route = s.on_order_lookup(OrderLookupResult(OrderStatus.UNAVAILABLE))
    assert route == Route("hotline", "order_progress", 0, ("order-unavailable",))
    assert s.ivr_path == "queue>key:1>order:entered>order:unavailable"


def test_a_found_order_tells_the_caller_its_stage_then_offers_an_agent():
    s = queued()
    s.on_key("1")
    s.on_input("20261125000123")
    route = s.on_order_lookup(OrderLookupResult(OrderStatus.FOUND, "processing"))
    assert route.prompts == ("order-state-processing", "transfer")
    assert s.ivr_path.endswith("order:entered>order:found")
    s2 = queued()
    s2.on_key("1")
    s2.on_input("20261125000123")
    unknown_stage = s2.on_order_lookup(OrderLookupResult(OrderStatus.FOUND, "martian"))
    assert unknown_stage.prompts == ("transfer",)


def test_a_malformed_order_number_is_retried_once():
    s = queued()
    s.on_key("1")
    assert isinstance(s.on_input("12"), Collect)
    route = s.on_input("")
    assert isinstance(route, Route) and route.category == "order_progress"
    assert s.ivr_path == "queue>key:1>order:invalid>order:none"


def test_input_outside_the_order_number_is_a_programming_error():
    s = queued()
    with pytest.raises(RuntimeError):
        s.on_input("3")
    s.on_key("1")
    with pytest.raises(RuntimeError):
        s.on_key("2")


@given(st.lists(st.text(alphabet=DTMF_KEYS + "xA ", max_size=20), max_size=12))
def test_any_input_sequence_ends_at_an_agent_within_bounded_steps(inputs):
    """Whatever a caller keys for an order, the front end never loops: it
    reaches a queue."""
    s = queued()
    step = s.on_key("1")
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


def test_the_key_context_is_rendered_from_the_menu():
    dialplan = queue_keys(MENU)
    assert dialplan.startswith("[yht-queue-keys]")
    assert "exten => 1,1,Set(YHT_KEY=1)\n same => n,Goto(yht-queue-key,order,1)" in dialplan
    assert "exten => 9,1,Set(YHT_KEY=9)\n same => n,Set(__YHT_QUEUE=dialect)" in dialplan
    assert "exten => 7," not in dialplan


def test_wait_classes_play_the_hold_music_last_in_a_loop(tmp_path):
    prompts, moh = tmp_path / "prompts", tmp_path / "moh"
    prompts.mkdir()
    moh.mkdir()
    for prompt in MENU.known_prompts:
        (prompts / f"{prompt}.ulaw").write_bytes(prompt.encode())
    (moh / "yht-hold.ulaw").write_bytes(b"music")
    install_wait_classes(MENU, prompts, moh)
    files = sorted(p.name for p in (moh / "yht-wait-welcome-89000-holiday").iterdir())
    assert files == ["01-holiday.ulaw", "02-welcome-89000.ulaw", "03-menu.ulaw", "99-yht-hold.ulaw"]
    section = musiconhold_sections(MENU)
    holiday = "yht-wait-welcome-89000-holiday"
    assert f"[{holiday}]\nmode = files\ndirectory = moh/{holiday}" in section
    assert section.count("loop_last = yes") == len(wait_classes(MENU))


def test_menu_data_rejects_an_option_that_is_not_a_key(tmp_path):
    bad = tmp_path / "menu.yaml"
    bad.write_text((load_menu.__defaults__[0]).read_text().replace('"9":', '"99":'))
    with pytest.raises(ValueError, match="not a single DTMF key"):
        load_menu(bad)
