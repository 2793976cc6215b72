"""A citizen's call on the real path: sipp -> Asterisk 22 -> FastAGI IVR ->
app_queue -> a sipp agent registered as a PJSIP seat."""

from __future__ import annotations

import random

import pytest

from testkit.ami import chan_vars
from testkit.sipp import place_call
from testkit.waiting import wait_until
from tests.conftest import active_channels

pytestmark = pytest.mark.integration


def new_caller() -> str:
    """A fresh mobile number, so Redis holds no history for it yet."""
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def is_caller(number: str):
    return lambda e: chan_vars(e).get("YHT_CALLER") == number


async def test_caller_who_presses_nothing_reaches_an_agent_with_the_call_context(
    pbx, agi_server, agent, ami, workdir
):
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=25000)

    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=40)

    agent_leg = chan_vars(connect, "DestChanVariable")
    assert connect["Queue"] == "hotline"
    assert connect["DestChannel"].startswith("PJSIP/agent1001-")
    assert agent_leg["YHT_CALLER"] == caller
    assert agent_leg["YHT_HOTLINE"] == "12345"
    assert agent_leg["YHT_CATEGORY"] == "general"
    assert agent_leg["YHT_IVR_PATH"] == "welcome>menu:none"
    assert agent_leg["YHT_CALL_ID"] == connect["Uniqueid"]
    assert agent_leg["YHT_REPEAT_CALLER"] == "0"
    # the agent's phone got the same context as SIP headers for its screen-pop
    invite = wait_until(agent.invites, 5, "the agent's INVITE log")[-1]
    assert invite["call_id"] == connect["Uniqueid"]
    assert invite["category"] == "general"
    assert await call.finished() == 0


async def test_key_2_routes_the_caller_to_the_car_moving_service(
    pbx, agi_server, agent, ami, workdir
):
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "96010", caller, workdir, hold_ms=12000, dtmf="2")

    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=40)

    agent_leg = chan_vars(connect, "DestChanVariable")
    assert agent_leg["YHT_CATEGORY"] == "carmove"
    assert agent_leg["YHT_HOTLINE"] == "96010"
    assert agent_leg["YHT_IVR_PATH"] == "welcome>menu:2"
    assert await call.finished() == 0


async def test_invalid_key_gets_one_retry_then_an_agent(pbx, agi_server, agent, ami, workdir):
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=20000, dtmf="7")

    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=50)

    agent_leg = chan_vars(connect, "DestChanVariable")
    assert agent_leg["YHT_IVR_PATH"] == "welcome>menu:invalid>menu:none"
    assert agent_leg["YHT_CATEGORY"] == "general"
    assert await call.finished() == 0


async def test_second_call_from_the_same_number_is_marked_as_a_repeat_caller(
    pbx, agi_server, agent, ami, workdir
):
    caller = new_caller()
    first = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=3000, dtmf="2",
                       dtmf_delay_ms=500)  # fmt: skip
    assert await first.finished() == 0
    second = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=9000, dtmf="2",
                        dtmf_delay_ms=500)  # fmt: skip

    join = await ami.wait_for(
        "QueueCallerJoin",
        lambda e: is_caller(caller)(e) and chan_vars(e)["YHT_PREV_CALLS"] == "1",
        timeout=40,
    )

    assert chan_vars(join)["YHT_REPEAT_CALLER"] == "1"
    assert chan_vars(join)["YHT_PRIORITY"] == "1"
    assert await second.finished() == 0


async def test_unknown_number_is_refused_with_404(pbx, agi_server, workdir):
    call = place_call(pbx.settings.sip_port, "12399", new_caller(), workdir, hold_ms=0,
                      scenario="citizen_unknown_number.xml")  # fmt: skip
    assert await call.finished(20) == 0


async def test_caller_hanging_up_mid_menu_leaves_no_channel_behind(pbx, agi_server, ami, workdir):
    caller = new_caller()
    calls_before = len(agi_server.call_lines())
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=2000)
    assert await call.finished() == 0

    line = wait_until(lambda: agi_server.call_lines()[calls_before:], 10, "the FastAGI log line")[
        -1
    ]
    assert "route=ivr_entry" in line
    assert "status=caller-hangup" in line
    assert caller not in line  # the number is masked in the log
    assert caller[:3] + "****" + caller[-4:] in line
    wait_until(lambda: active_channels(pbx) == 0, 10, "no channel left")


async def test_call_reaches_the_agent_while_the_fastagi_server_is_down(
    pbx, agi_server, agent, ami, workdir
):
    agi_server.stop()
    try:
        caller = new_caller()
        call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=6000)

        down = await ami.wait_for("UserEvent", lambda e: e.get("UserEvent") == "YhtIvrDown",
                                  timeout=20)  # fmt: skip
        connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=20)

        assert down["AgiStatus"] == "FAILURE"
        agent_leg = chan_vars(connect, "DestChanVariable")
        assert agent_leg["YHT_IVR_PATH"] == "ivr-down"
        assert agent_leg["YHT_CATEGORY"] == "general"
        assert await call.finished() == 0
    finally:
        agi_server.start()
