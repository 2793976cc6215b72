"""The agent's and the shift lead's live channel: a real call through the IVR
pops up on the agent's websocket; seat commands from the page change what
Asterisk does; bad clients are refused without disturbing the others."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from testkit.ami import chan_vars
from testkit.sipp import place_call
from tests.integration.test_call_path import is_caller, new_caller

SEAT = "1003"


class Page:
    """A browser page's websocket, reduced to what a test needs."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.messages: list[dict] = []

    async def send(self, **message) -> None:
        await self.ws.send(json.dumps(message))

    async def expect(self, predicate, timeout: float = 20.0) -> dict:
        for message in self.messages:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), deadline - time.monotonic())
            except TimeoutError:
                break
            message = json.loads(raw)
            self.messages.append(message)
            if predicate(message):
                return message
        raise AssertionError(f"no matching message within {timeout}s; got {self.messages[-5:]}")


async def open_page(url: str, token_header: dict[str, str]) -> Page:
    ws = await connect(url)
    page = Page(ws)
    await page.send(type="auth", token=token_header["Authorization"].split()[1])
    return page


@pytest.fixture
def seat_phone(seat_phones):
    return seat_phones(SEAT)


async def test_a_call_pops_up_on_the_agents_page_with_context_history_and_a_draft(
    pbx, live_desk, ticketing_service, seat_phone, ami, workdir
):
    agent = ticketing_service.user("desk1003", "agent", seat=SEAT)
    lead = ticketing_service.user("lead1", "shift_lead")
    caller = new_caller()
    earlier = ticketing_service.new_order(caller={"phone": caller}, content="上次反映路灯不亮")
    page = await open_page(live_desk["ws"], agent)
    board = await open_page(live_desk["ws"], lead)
    try:
        hello = await page.expect(lambda m: m["type"] == "hello")
        assert (hello["seat"], hello["role"]) == (SEAT, "agent")
        # queued at once, the caller presses 2 (car moving) while no seat is free
        call = place_call(pbx.settings.sip_port, "96010", caller, workdir, hold_ms=12000,
                          dtmf="2")  # fmt: skip
        await ami.wait_for("QueueCallerJoin", lambda e: is_caller(caller)(e)
                           and chan_vars(e)["YHT_CATEGORY"] == "carmove", timeout=30)  # fmt: skip
        await page.send(type="login", ref="l1")
        await page.expect(lambda m: m.get("ref") == "l1" and m["type"] == "ack")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
        await board.expect(lambda m: m["type"] == "seat" and m["agent_id"] == SEAT
                           and m["state"] in ("ready", "talking"))  # fmt: skip

        pop = await page.expect(lambda m: m["type"] == "screen_pop", timeout=40)
        assert pop["caller"] == caller and pop["hotline"] == "96010"
        assert pop["category"] == "carmove" and pop["ivr_path"] == "queue>key:2"
        assert pop["draft"]["subject_code"] == "traffic.carmove"
        assert pop["draft"]["caller"]["phone"] == caller
        assert pop["draft"]["call"]["call_id"] == pop["call_id"]
        history = await page.expect(lambda m: m["type"] == "history")
        assert [h["number"] for h in history["history"]] == [earlier["number"]]
        await board.expect(lambda m: m["type"] == "seat" and m["agent_id"] == SEAT
                           and m["state"] == "talking", timeout=30)  # fmt: skip
        assert await call.finished() == 0
        await ami.wait_for("AgentComplete", is_caller(caller), timeout=20)
    finally:
        await page.send(type="logout", ref="bye")
        await page.expect(lambda m: m.get("ref") == "bye")
        await page.ws.close()
        await board.ws.close()


async def test_a_pause_from_the_page_keeps_calls_away_from_the_seat(
    pbx, live_desk, ticketing_service, seat_phone, ami, workdir
):
    agent = ticketing_service.user("desk1003", "agent", seat=SEAT)
    page = await open_page(live_desk["ws"], agent)
    try:
        await page.send(type="login", ref="l")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
        await page.send(type="pause", reason="training", ref="p")
        paused = await page.expect(lambda m: m["type"] == "seat" and m["state"] == "paused")
        assert paused["reason"] == "training"
        await page.send(type="pause", reason="nap", ref="bad")
        refused = await page.expect(lambda m: m.get("ref") == "bad")
        assert refused["type"] == "error"
        caller = new_caller()
        call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=9000)
        await ami.wait_for("QueueCallerLeave", is_caller(caller), timeout=40)
        assert not [e for e in ami.events if e.get("Event") == "AgentCalled"
                    and e.get("MemberName") == f"agent{SEAT}" and is_caller(caller)(e)]  # fmt: skip
        assert not [m for m in page.messages if m["type"] == "screen_pop"]
        await call.finished()
    finally:
        await page.send(type="logout", ref="bye")
        await page.expect(lambda m: m.get("ref") == "bye")
        await page.ws.close()


async def test_unauthenticated_and_wrong_role_clients_are_refused_and_bad_messages_answered(
    live_desk, ticketing_service
):
    async with connect(live_desk["ws"]) as ws:
        await ws.send("hello")
        assert json.loads(await ws.recv())["type"] == "error"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 4401
    handler = ticketing_service.user("handler1", "unit_handler", unit_id=2)
    async with connect(live_desk["ws"]) as ws:
        await ws.send(json.dumps({"type": "auth", "token": handler["Authorization"].split()[1]}))
        assert "值班长" in json.loads(await ws.recv())["message"]
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 4403
    lead = await open_page(live_desk["ws"], ticketing_service.user("lead1", "shift_lead"))
    try:
        await lead.expect(lambda m: m["type"] == "snapshot")
        staffing = await lead.expect(lambda m: m["type"] == "staffing", timeout=10)
        # the plan (6 by day, 2 at night) against the seats open now: fewer
        assert staffing["planned"] in (6, 2) and staffing["open"] < staffing["planned"]
        # fewer seats open than the shift plan: an alarm, live or in the snapshot
        alarm = await lead.expect(lambda m: (m["type"] == "alarm" and m["key"] == "staffing")
                                  or (m["type"] == "snapshot" and any(
                                      a["key"] == "staffing" for a in m["alarms"])))  # fmt: skip
        assert "计划开通" in json.dumps(alarm, ensure_ascii=False)
        await lead.ws.send("{not json")
        assert (await lead.expect(lambda m: m["type"] == "error"))["message"]
        await lead.send(type="teleport", ref="t")
        assert (await lead.expect(lambda m: m.get("ref") == "t"))["type"] == "error"
        await lead.send(type="ready", ref="r")  # a shift lead without a seat
        assert (await lead.expect(lambda m: m.get("ref") == "r"))["type"] == "error"
        await lead.send(type="ping", ref="still-here")
        assert (await lead.expect(lambda m: m.get("ref") == "still-here"))["type"] == "pong"
    finally:
        await lead.ws.close()


async def test_a_caller_who_gives_up_waiting_becomes_a_callback_to_make(
    pbx, live_desk, ticketing_service, ami, workdir
):
    # no seat is ready: the caller waits in the queue, then hangs up
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=7000)
    abandon = await ami.wait_for("QueueCallerAbandon", is_caller(caller), timeout=40)
    await call.finished()

    async def reported():
        response = ticketing_service.get("/missed-calls")
        return [m for m in response if m["caller"] == caller]

    deadline = time.monotonic() + 15
    found: list = []
    while not found and time.monotonic() < deadline:
        found = await reported()
        await asyncio.sleep(0.2)
    assert found, "the abandoned call never reached the work-order service"
    assert found[0]["reason"] == "abandoned" and found[0]["hotline"] == "12345"
    assert found[0]["waited_s"] == int(abandon["HoldTime"])
