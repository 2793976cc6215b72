"""Call control from the agent desk and the shift lead's seat map, against
real Asterisk: transfers, the 110 handoff, a three-way call with 110,
listen (ChanSpy) from the lead's own phone, and the unreachable seat."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from testkit.sipp import place_call
from testkit.waiting import until, wait_until
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_desk import open_page

SEAT = "1003"
LEAD_SEAT = "1004"


@pytest.fixture
def seat_phone(seat_phones):
    return seat_phones(SEAT)


async def on_a_call(pbx, page, ami, workdir, hold_ms: int = 25000):
    """Log the seat in, place a citizen call and wait until the seat talks."""
    await page.send(type="login", ref="login")
    await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=hold_ms)
    connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=40)
    # the ACD holds this call now (an earlier call's "talking" in the page's
    # history is no proof: a command sent before the ACD has handled its own
    # AgentConnect finds no call on the seat and is refused)
    await page.expect(lambda m: m["type"] == "seat" and m["state"] == "talking"
                      and m.get("call_id") == connect["Uniqueid"])  # fmt: skip
    return caller, call, connect


async def logout(page) -> None:
    await page.send(type="logout", ref="bye")
    await page.expect(lambda m: m.get("ref") == "bye")
    await page.ws.close()


async def test_110_handoff_three_way_call_and_transfer_to_a_queue(
    pbx,
    live_desk,
    ticketing_service,
    seat_phone,
    center,
    ami,
    workdir,
):
    police = center()
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    try:
        # a bad target is refused; the call goes on
        caller, call, connect = await on_a_call(pbx, page, ami, workdir)
        await page.send(type="transfer", target="moon", ref="bad")
        refused = await page.expect(lambda m: m.get("ref") == "bad")
        assert refused["type"] == "error" and "moon" in refused["message"]

        # three-way call with 110 (responsibility unclear): caller, agent and 110
        await page.send(type="party", number="110", ref="3way")
        assert (await page.expect(lambda m: m.get("ref") == "3way"))["type"] == "ack"
        members: set[str] = set()

        def three(event) -> bool:
            members.add(event["Channel"])
            return len(members) >= 3

        await ami.wait_for("ConfbridgeJoin", three, timeout=20)
        assert police.invites(dialled="110") == 1
        seat_state = await page.expect(lambda m: m["type"] == "seat" and m.get("conference"))
        assert seat_state["state"] == "talking" and "agent_channel" not in seat_state
        await page.send(type="hangup", ref="leave")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] in ("wrapup", "ready")
                          and not m.get("conference"))  # fmt: skip
        assert await call.finished(60) == 0

        # one-action handoff of a police matter: the caller goes to 110, the seat is free
        caller, call, connect = await on_a_call(pbx, page, ami, workdir)
        await page.send(type="transfer", target="110", ref="110")
        assert (await page.expect(lambda m: m.get("ref") == "110"))["type"] == "ack"
        await ami.wait_for("AgentComplete", is_caller(caller), timeout=20)
        await until(lambda: police.invites(dialled="110") == 2, 10, "the second INVITE to 110")
        assert await call.finished(60) == 0  # the caller stayed on the line with 110

        # transfer to the dialect queue: the caller waits there, not dropped
        caller, call, connect = await on_a_call(pbx, page, ami, workdir, hold_ms=10000)
        await page.send(type="pause", reason="meeting", ref="p")
        await page.send(type="transfer", target="dialect", ref="q")
        assert (await page.expect(lambda m: m.get("ref") == "q"))["type"] == "ack"
        joined = await ami.wait_for("QueueCallerJoin", lambda e: is_caller(caller)(e)
                                    and e.get("Queue") == "dialect", timeout=20)  # fmt: skip
        assert joined["Uniqueid"] == connect["Uniqueid"]
        assert await call.finished(60) == 0  # hangs up while waiting: nobody is left behind

        # every call action is in the audit log: who, which call, which target
        kinds = await asyncio.to_thread(audited_call_actions, ticketing_service, "desk1003", 4)
        for expected in [("call_party", "110"), ("call_hangup", ""), ("call_transfer", "110"),
                         ("call_transfer", "dialect")]:  # fmt: skip
            assert expected in kinds, kinds
    finally:
        await logout(page)


async def test_a_shift_lead_listens_from_their_phone_and_no_one_acts_on_anothers_call(
    pbx, live_desk, ticketing_service, seat_phone, seat_phones, ami, workdir
):
    seat_phones(LEAD_SEAT)
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    other = await open_page(live_desk["ws"], ticketing_service.user("desk1002", "agent",
                                                                    seat="1002"))  # fmt: skip
    lead = await open_page(live_desk["ws"], ticketing_service.user("lead1004", "shift_lead",
                                                                   seat=LEAD_SEAT))  # fmt: skip
    try:
        _, call, connect = await on_a_call(pbx, page, ami, workdir, hold_ms=15000)
        # another agent has no call of their own to act on; seat 1003's call goes on
        await other.send(type="hangup", ref="h")
        assert (await other.expect(lambda m: m.get("ref") == "h"))["type"] == "error"
        await other.send(type="spy", target=SEAT, mode="listen", ref="s")
        assert "值班长" in (await other.expect(lambda m: m.get("ref") == "s"))["message"]
        await lead.send(type="spy", target=SEAT, mode="shout", ref="bad")
        assert (await lead.expect(lambda m: m.get("ref") == "bad"))["type"] == "error"

        await lead.send(type="spy", target=SEAT, mode="listen", ref="listen")
        assert (await lead.expect(lambda m: m.get("ref") == "listen"))["type"] == "ack"
        # the lead's phone is the spy (live captions spy with Local channels)
        lead_phone = lambda e: e["SpyerChannel"].startswith(f"PJSIP/agent{LEAD_SEAT}-")  # noqa: E731
        spy = await ami.wait_for("ChanSpyStart", lead_phone, timeout=20)
        assert spy["SpyeeChannel"] == connect["DestChannel"]
        assert await call.finished(60) == 0
        await ami.wait_for("ChanSpyStop", lead_phone, timeout=20)
    finally:
        await logout(page)
        await other.ws.close()
        await lead.ws.close()


async def test_a_phone_that_unregisters_turns_the_seat_unreachable(
    pbx, live_desk, ticketing_service, seat_phone
):
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    try:
        await page.send(type="login", ref="login")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
        await asyncio.to_thread(seat_phone.register, 0)
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "unreachable")
        await asyncio.to_thread(seat_phone.register)
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
    finally:
        await logout(page)


def audited_call_actions(ticketing_service, username: str, at_least: int) -> list[tuple]:
    """(action, target) of the desk call actions in the audit log, once there
    are `at_least` of them; each names the user and a call."""
    admin = ticketing_service.admin

    def found() -> list[dict]:
        entries = httpx.get(f"{ticketing_service.base}/audit", params={"limit": 200},
                            headers=admin).json()  # fmt: skip
        actions = [e for e in entries if e["action"].startswith("call_")]
        return actions if len(actions) >= at_least else []

    actions = wait_until(found, 15, "the call actions in the audit log")
    users = httpx.get(f"{ticketing_service.base}/users", headers=admin).json()
    user_id = next(u["id"] for u in users if u["username"] == username)
    assert {e["user_id"] for e in actions} == {user_id}
    assert all(e["target"].startswith("call:") and e["target"] != "call:-" for e in actions)
    return [(e["action"], re.search(r"target=(\S*)", e["detail"])[1]) for e in actions]
