"""The ACD controller against the real Asterisk: log-in, pause and wrap-up
change what app_queue does, and the state it keeps in Redis comes from AMI
events and survives a lost AMI session."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from acd.runner import AcdRunner
from acd.settings import AcdSettings
from acd.store import AcdStore
from testkit.sipp import place_call
from tests.integration.test_call_path import is_caller, new_caller

SEAT = "1002"


@pytest_asyncio.fixture
async def redis():
    client = Redis.from_url("redis://127.0.0.1:6379/0")
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def acd(pbx, redis):
    prefix = f"yht:test:{uuid.uuid4().hex[:8]}"
    settings = AcdSettings(YHT_PBX_AMI_PORT=pbx.settings.ami_port,
                           YHT_PBX_AMI_USER=pbx.settings.ami_user,
                           YHT_AMI_SECRET=pbx.ami_secret, redis_prefix=prefix,
                           wrapup_seconds=2, reconnect_s=0.5)  # fmt: skip
    runner = AcdRunner(settings, redis, redis)
    await runner.start()
    yield runner
    if runner.acd.seat(SEAT).queues:
        await runner.acd.logout(SEAT)
    await runner.stop()
    await asyncio.sleep(0.5)  # let a handler cancelled mid-write finish before the clean-up
    keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def seat_phone(seat_phones):
    return seat_phones(SEAT)


async def state_in_redis(runner: AcdRunner, agent_id: str) -> dict:
    for seat in await runner.acd.store.seats():
        if seat.agent_id == agent_id:
            return {"state": seat.state, "reason": seat.reason, "queues": sorted(seat.queues)}
    return {}


async def until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await condition()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def seat_is(runner, agent_id: str, state: str, timeout: float = 15) -> dict:
    async def check():
        current = await state_in_redis(runner, agent_id)
        return current if current.get("state") == state else None

    return await until(check, timeout, f"seat {agent_id} to be {state}")


async def test_a_logged_in_seat_is_rung_answers_and_wraps_up(
    pbx, agi_server, acd, seat_phone, ami, workdir
):
    await acd.acd.login(SEAT)
    await seat_is(acd, SEAT, "ready")

    async def in_its_queues():
        return (await state_in_redis(acd, SEAT))["queues"] == ["hotline", "sos"]

    # one QueueMemberAdded per queue of the seat's skills (acd/data/skills.yaml)
    await until(in_its_queues, 10, "the seat to be in the hotline and SOS queues")
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=12000)

    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=40)
    assert connect["MemberName"] == f"agent{SEAT}"
    await seat_is(acd, SEAT, "talking")
    assert await call.finished() == 0
    await seat_is(acd, SEAT, "wrapup")
    await seat_is(acd, SEAT, "ready", timeout=10)  # wrap-up of 2 s is over


async def test_a_paused_seat_is_not_rung_until_it_is_ready_again(
    pbx, agi_server, acd, seat_phone, ami, workdir
):
    await acd.acd.login(SEAT)
    await seat_is(acd, SEAT, "ready")
    await acd.acd.pause(SEAT, "break")
    assert (await seat_is(acd, SEAT, "paused"))["reason"] == "break"
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=25000)
    await ami.wait_for("QueueCallerJoin", is_caller(caller), timeout=30)
    # app_queue tries its members the moment a caller joins: a paused seat
    # rung by mistake would be rung before the unpause below, by Asterisk's clock
    await acd.acd.ready(SEAT)
    unpaused = await ami.wait_for("QueueMemberPause", lambda e: e.get("Paused") == "0"
                                  and e.get("MemberName") == f"agent{SEAT}")  # fmt: skip
    called = await ami.wait_for("AgentCalled", is_caller(caller), timeout=20)
    assert float(called["Timestamp"]) >= float(unpaused["Timestamp"])
    first = next(e for e in ami.events if e.get("Event") == "AgentCalled" and is_caller(caller)(e))
    assert first is called  # no earlier ring while paused
    assert await asyncio.to_thread(call.wait, 60) == 0


async def test_state_is_rebuilt_from_asterisk_after_the_ami_session_is_lost(
    pbx, acd, seat_phone, redis
):
    await acd.acd.login(SEAT)
    await seat_is(acd, SEAT, "ready")
    await acd.acd.pause(SEAT, "meeting")
    await seat_is(acd, SEAT, "paused")
    # a second controller with an empty memory reads the truth from Asterisk
    second = AcdRunner(acd.settings, redis, redis)
    second.acd.store = AcdStore(redis, acd.settings.redis_prefix + ":second")
    await second.start()
    rebuilt = await state_in_redis(second, SEAT)
    await second.stop()
    assert rebuilt == {"state": "paused", "reason": "meeting", "queues": ["hotline", "sos"]}
    # the first one's AMI session is cut; it reconnects and resyncs by itself
    resyncs = acd.resyncs
    acd.manager.protocol.transport.close()
    await until(lambda: _true(acd.resyncs > resyncs), 20, "a resync after reconnecting")
    assert (await state_in_redis(acd, SEAT))["state"] == "paused"


async def _true(value: bool) -> bool:
    return value


async def test_a_second_choice_seat_is_offered_a_call_only_after_it_waited(
    pbx, agi_server, acd, seat_phones, ami, workdir
):
    # seat 1004 serves the hotline only as a second choice (penalty 1)
    seat_phones("1004")
    await acd.acd.login("1004")
    await seat_is(acd, "1004", "ready")
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=50000)
    try:
        joined = await ami.wait_for("QueueCallerJoin", is_caller(caller), timeout=30)
        called = await ami.wait_for("AgentCalled", is_caller(caller), timeout=50)
        assert called["MemberName"] == "agent1004"
        # first-choice seats only for the first 30 s (queuerules.conf), by Asterisk's clock
        assert float(called["Timestamp"]) - float(joined["Timestamp"]) >= 30
    finally:
        await acd.acd.logout("1004")
        await call.finished()
