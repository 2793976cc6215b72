"""Key 1 on a real call: the caller keys a work-order number, the FastAGI
front end asks the work-order service, the caller hears the stage and reaches
an agent with the number on the call."""

from __future__ import annotations

import asyncio

from testkit.ami import chan_vars
from testkit.sipp import place_call
from tests.integration.test_call_path import is_caller, new_caller


async def out_of_the_queue(ami, caller: str) -> None:
    """The caller pressed 1 while queued (no seat yet) and left the queue to
    key the number; the seat's phone comes up only now."""
    await ami.wait_for("QueueCallerLeave", is_caller(caller), timeout=30)


async def test_caller_keys_an_order_number_and_hears_its_stage(
    pbx, agi_server, ticketing_service, late_agent, ami, workdir
):
    order = ticketing_service.new_order()
    keyed = order["number"].replace("-", "")
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=30000,
                      dtmf=f"1,{keyed}#")  # fmt: skip

    await out_of_the_queue(ami, caller)
    await asyncio.to_thread(late_agent)
    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=60)

    agent_leg = chan_vars(connect, "DestChanVariable")
    assert agent_leg["YHT_IVR_PATH"] == "queue>key:1>order:entered>order:found"
    assert agent_leg["YHT_ORDER_NO"] == keyed
    assert agent_leg["YHT_CATEGORY"] == "order_progress"
    assert await call.finished() == 0
    assert "path=queue>key:1>order:entered>order:found" in agi_server.log()


async def test_an_unknown_number_is_said_so_and_the_caller_still_reaches_an_agent(
    pbx, agi_server, ticketing_service, late_agent, ami, workdir
):
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=30000,
                      dtmf="1,20200101999999#")  # fmt: skip

    await out_of_the_queue(ami, caller)
    await asyncio.to_thread(late_agent)
    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=60)

    assert chan_vars(connect, "DestChanVariable")["YHT_IVR_PATH"].endswith("order:not_found")
    assert await call.finished() == 0


async def test_a_missing_stage_prompt_does_not_cost_the_caller_the_route(
    pbx, agi_server, ticketing_service, late_agent, ami, workdir
):
    # the test menu points the "case" stage at a prompt that does not exist;
    # Asterisk then reports AGISTATUS=FAILURE although the IVR decided
    order = ticketing_service.new_order(register=True)
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=30000,
                      dtmf=f"1,{order['number'].replace('-', '')}#")  # fmt: skip

    await out_of_the_queue(ami, caller)
    await asyncio.to_thread(late_agent)
    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=60)

    agent_leg = chan_vars(connect, "DestChanVariable")
    assert agent_leg["YHT_IVR_PATH"] == "queue>key:1>order:entered>order:found"
    assert agent_leg["YHT_CATEGORY"] == "order_progress"
    assert await call.finished() == 0
