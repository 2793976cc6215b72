"""A citizen's call on the real path: sipp -> Asterisk 22 -> FastAGI front
end -> app_queue (queued from the first second, the welcome and keys heard
while waiting) -> a sipp agent registered as a PJSIP seat."""

from __future__ import annotations

import random
import re
import time

import pytest

from testkit.ami import chan_vars
from testkit.sipp import place_call
from testkit.waiting import until, wait_until
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
    assert agent_leg["YHT_IVR_PATH"] == "queue"
    assert agent_leg["YHT_CALL_ID"] == connect["Uniqueid"]
    assert agent_leg["YHT_REPEAT_CALLER"] == "0"
    # the agent's phone got the same context as SIP headers for its screen-pop
    invite = wait_until(agent.invites, 5, "the agent's INVITE log")[-1]
    assert invite["call_id"] == connect["Uniqueid"]
    assert invite["category"] == "general"
    assert await call.finished() == 0


async def test_the_caller_is_queued_before_the_welcome_plays(pbx, agi_server, ami, workdir):
    """GB/T 33358 counts the 15 s from the call: the welcome and the keys are
    the queue's hold sound, so the caller is in the queue when they start."""
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "89000", caller, workdir, hold_ms=4000)
    joined = await ami.wait_for("QueueCallerJoin", is_caller(caller), timeout=30)
    hold = await ami.wait_for("MusicOnHoldStart", lambda e: e.get("Uniqueid") == joined["Uniqueid"],
                              timeout=10)  # fmt: skip
    assert hold["Class"].startswith("yht-wait-welcome-89000")  # -after-hours at night
    assert float(joined["Timestamp"]) <= float(hold["Timestamp"])
    assert chan_vars(joined)["YHT_IVR_PATH"] == "queue"
    assert await call.finished() == 0


async def test_keys_pressed_while_queued_move_the_caller_and_others_are_ignored(
    pbx, agi_server, ami, workdir
):
    """No seat is free: 7 is not offered (ignored), 2 is car moving, 9 the
    dialect seats; each key rejoins a queue with the call's context."""
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "96010", caller, workdir, hold_ms=9000,
                      dtmf="7,2,9")  # fmt: skip

    def joined_with(path: str):
        return lambda e: is_caller(caller)(e) and chan_vars(e)["YHT_IVR_PATH"] == path

    first = await ami.wait_for("QueueCallerJoin", joined_with("queue"), timeout=30)
    car = await ami.wait_for("QueueCallerJoin", joined_with("queue>key:2"), timeout=30)
    dialect = await ami.wait_for("QueueCallerJoin", joined_with("queue>key:2>key:9"), timeout=30)
    assert (first["Queue"], chan_vars(first)["YHT_CATEGORY"]) == ("hotline", "general")
    assert (car["Queue"], chan_vars(car)["YHT_CATEGORY"]) == ("hotline", "carmove")
    assert (dialect["Queue"], chan_vars(dialect)["YHT_CATEGORY"]) == ("dialect", "dialect")
    assert chan_vars(dialect)["YHT_HOTLINE"] == "96010"
    assert await call.finished() == 0
    joins = [e for e in ami.events if e.get("Event") == "QueueCallerJoin" and is_caller(caller)(e)]
    assert len(joins) == 3  # the 7 took nobody anywhere


async def test_second_call_from_the_same_number_is_marked_as_a_repeat_caller(
    pbx, agi_server, agent, ami, workdir
):
    caller = new_caller()
    first = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=3000)
    assert await first.finished() == 0
    second = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=5000)

    join = await ami.wait_for(
        "QueueCallerJoin",
        lambda e: is_caller(caller)(e) and chan_vars(e)["YHT_PREV_CALLS"] == "1",
        timeout=40,
    )

    assert chan_vars(join)["YHT_REPEAT_CALLER"] == "1"
    # not a priority class: its advantage is seconds of waiting (the next test)
    assert chan_vars(join)["YHT_PRIORITY"] == "0"
    assert await second.finished() == 0


def waiting_order(pbx, queue: str = "hotline") -> list[str]:
    """The channels waiting in a queue, first in line first (app_queue's own list)."""
    return re.findall(r"^\s+\d+\. (\S+) \(wait", pbx.cli(f"queue show {queue}").stdout, re.M)


async def test_a_repeat_caller_goes_ahead_only_of_callers_who_waited_less_than_its_boost(
    pbx, agi_server, ami, workdir
):
    """Issue 28 item 14: four repeat callers who came later overtook a
    first-time caller waiting 39 s. A repeat caller is worth
    YHT_PBX_REPEAT_BOOST_S seconds of waiting (3 s in the tests): one who
    joins within that of a first-time caller goes ahead of it, one who joins
    later stays behind it. No seat is free."""
    boost = pbx.settings.repeat_boost_s
    first_time, soon, late = new_caller(), new_caller(), new_caller()
    priors = [place_call(pbx.settings.sip_port, "12345", n, workdir, hold_ms=500)
              for n in (soon, late)]  # fmt: skip
    for prior in priors:
        assert await prior.finished() == 0  # both numbers are repeat callers now
    calls = [place_call(pbx.settings.sip_port, "12345", first_time, workdir, hold_ms=9000)]
    joined_first = await ami.wait_for("QueueCallerJoin", is_caller(first_time), timeout=20)
    calls.append(place_call(pbx.settings.sip_port, "12345", soon, workdir, hold_ms=9000))
    joined_soon = await ami.wait_for("QueueCallerJoin", is_caller(soon), timeout=20)
    assert chan_vars(joined_soon)["YHT_REPEAT_CALLER"] == "1"
    assert float(joined_soon["Timestamp"]) < float(joined_first["Timestamp"]) + boost
    key, queued_at = (float(chan_vars(joined_soon)[v]) for v in ("YHT_QUEUE_KEY", "YHT_QUEUED_AT"))
    assert abs(key - (queued_at - boost)) < 0.01
    order = waiting_order(pbx)
    assert order.index(joined_soon["Channel"]) < order.index(joined_first["Channel"]), order
    # the first-time caller has now waited longer than the boost
    await until(lambda: time.time() > float(joined_first["Timestamp"]) + boost + 1, 10,
                "the boost to pass")  # fmt: skip
    calls.append(place_call(pbx.settings.sip_port, "12345", late, workdir, hold_ms=4000))
    joined_late = await ami.wait_for("QueueCallerJoin", is_caller(late), timeout=20)
    assert chan_vars(joined_late)["YHT_REPEAT_CALLER"] == "1"
    order = waiting_order(pbx)
    assert order.index(joined_first["Channel"]) < order.index(joined_late["Channel"]), order
    assert int(joined_late["Position"]) == order.index(joined_late["Channel"]) + 1
    for call in calls:
        assert await call.finished() == 0


async def test_unknown_number_is_refused_with_404(pbx, agi_server, workdir):
    call = place_call(pbx.settings.sip_port, "12399", new_caller(), workdir, hold_ms=0,
                      scenario="citizen_unknown_number.xml")  # fmt: skip
    assert await call.finished(20) == 0


async def test_caller_hanging_up_while_queued_leaves_no_channel_behind(
    pbx, agi_server, ami, workdir
):
    caller = new_caller()
    calls_before = len(agi_server.call_lines())
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=2000)
    await ami.wait_for("QueueCallerAbandon", is_caller(caller), timeout=20)
    assert await call.finished() == 0

    line = wait_until(lambda: agi_server.call_lines()[calls_before:], 10, "the FastAGI log line")[
        -1
    ]
    assert "route=ivr_entry" in line and "path=queue" in line
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
