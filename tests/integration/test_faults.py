"""Faults on the durable path, with the real processes: a missed call reaches
the work-order service although, between the caller hanging up and the
delivery, the work-order service was down, the ACD was killed -9 and the
outbox's Redis was killed -9 and restarted."""

from __future__ import annotations

import asyncio
import time

import httpx
import redis

from testkit.sipp import place_call
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_hardening import until


def outbox_length(live_desk) -> int:
    client = redis.Redis.from_url(live_desk["outbox"].url, socket_timeout=2)
    try:
        return client.xlen(f"{live_desk['prefix']}:outbox:missed")
    finally:
        client.close()


def missed_calls(ticketing_service) -> list[dict]:
    try:
        response = httpx.get(f"{ticketing_service.base}/missed-calls",
                             headers=ticketing_service.agent, timeout=2)  # fmt: skip
    except httpx.HTTPError:
        return []
    return response.json() if response.status_code == 200 else []


async def test_a_missed_call_survives_the_receiver_the_sender_and_redis_going_down(
    pbx, agi_server, live_desk, ticketing_service, ami, workdir
):
    acd, outbox = live_desk["acd"], live_desk["outbox"]
    ticketing_service.stop()
    try:
        caller = new_caller()
        start = len(ami.events)
        # presses 2 (car moving) to reach the queue at once, hangs up waiting there
        call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=12000,
                          dtmf="2")  # fmt: skip
        await ami.wait_for("QueueCallerJoin", is_caller(caller), timeout=30)
        abandon = await ami.wait_for("QueueCallerAbandon", is_caller(caller), timeout=30)
        assert ami.events.index(abandon) >= start
        assert await asyncio.to_thread(call.wait, 30) == 0
        # the ACD put it in the outbox; the work-order service is down
        await until(lambda: outbox_length(live_desk) >= 1, 15, "the missed call in the outbox")
        acd.kill()
        outbox.kill()
        outbox.start()  # the same port and append-only file
        assert outbox_length(live_desk) >= 1
        started = time.monotonic()
        acd.start()
    finally:
        ticketing_service.restart()
    await until(lambda: any(m["caller"] == caller for m in missed_calls(ticketing_service)), 30,
                "the missed call in the work-order service")  # fmt: skip
    recovered = time.monotonic() - started
    found = [m for m in missed_calls(ticketing_service) if m["caller"] == caller]
    assert len(found) == 1 and found[0]["reason"] == "abandoned"
    await until(lambda: outbox_length(live_desk) == 0, 10, "an empty outbox")
    health = await asyncio.to_thread(httpx.get, "http://127.0.0.1:18091/health", timeout=5)
    assert health.status_code == 200 and health.json()["backlog"]["missed"] == 0
    print(f"missed call delivered {recovered:.1f} s after the ACD restarted")


async def test_a_caller_who_gives_up_in_the_voice_menu_is_a_missed_call(
    pbx, agi_server, live_desk, ticketing_service, ami, workdir
):
    """No key, no queue: hung up during the greeting, past YHT_PBX_MENU_MISSED_S
    (3 s in the tests), the caller is still called back."""
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=4000)
    gave_up = await ami.wait_for("UserEvent", lambda e: e.get("UserEvent") == "YhtMenuHangup"
                                 and is_caller(caller)(e), timeout=30)  # fmt: skip
    assert int(gave_up["Waited"]) >= 3
    assert await asyncio.to_thread(call.wait, 30) == 0
    await until(lambda: any(m["caller"] == caller for m in missed_calls(ticketing_service)), 20,
                "the menu hang-up among the missed calls")  # fmt: skip
    found = [m for m in missed_calls(ticketing_service) if m["caller"] == caller]
    assert [m["reason"] for m in found] == ["menu"]
    # and it never entered a queue
    assert not [
        e for e in ami.events if e.get("Event") == "QueueCallerJoin" and is_caller(caller)(e)
    ]
