"""A screen-pop is not lost to a restart (found by the day, issue 15): the
ACD offers the call again when it sees the seat connected to a call it never
saw ringing, or finds a talking seat's call in CoreShowChannels after a
resync; the bridge gives a desk that (re)connects during a call its pop."""

from __future__ import annotations

import asyncio
import json

import httpx

from softphone_bridge.server import Bridge
from softphone_bridge.session import Session
from softphone_bridge.settings import BridgeSettings
from tests.unit.test_acd import controller
from tests.unit.test_sos_and_calls import FakeWs

CONTEXT = ["YHT_CALL_ID=1795.9", "YHT_CALLER=13912345678", "YHT_CATEGORY=", "YHT_HOTLINE=12345"]


def offers(store) -> list[dict]:
    return [m for m in store.published if m["type"] == "offer"]


async def test_a_seat_connected_to_a_call_it_was_never_offered_gets_its_pop():
    acd, _, store = controller()
    await acd.on_event({"Event": "QueueMemberAdded", "Queue": "hotline",
                        "Interface": "PJSIP/agent1002", "Paused": "0"})  # fmt: skip
    # AgentCalled went to an ACD that was down: only the connect is seen
    await acd.on_event({"Event": "AgentConnect", "Queue": "hotline", "Uniqueid": "1795.9",
                        "Interface": "PJSIP/agent1002", "HoldTime": "3",
                        "ChanVariable": CONTEXT})  # fmt: skip
    [offer] = offers(store)
    assert (offer["agent_id"], offer["call_id"]) == ("1002", "1795.9")
    assert offer["context"]["YHT_CALLER"] == "13912345678"
    # a seat that was rung first is offered once, not again on the connect
    # (another call: its own YHT_CALL_ID, as the dialplan sets it)
    other = ["YHT_CALL_ID=1795.10", *CONTEXT[1:]]
    await acd.on_event({"Event": "AgentCalled", "Queue": "hotline", "Uniqueid": "1795.10",
                        "Interface": "PJSIP/agent1003", "ChanVariable": other})  # fmt: skip
    await acd.on_event({"Event": "AgentConnect", "Queue": "hotline", "Uniqueid": "1795.10",
                        "Interface": "PJSIP/agent1003", "HoldTime": "3",
                        "ChanVariable": other})  # fmt: skip
    assert [o["call_id"] for o in offers(store)] == ["1795.9", "1795.10"]


class StatusManager:
    """Asterisk as a resync sees it: seat 1002 talking in a bridge with the
    citizen's channel (and a seat 1004 talking whose bridge is gone)."""

    def __init__(self) -> None:
        self.actions: list[str] = []

    async def send_action(self, action: dict, as_list: bool | None = None):
        self.actions.append(action["Action"])
        if action["Action"] == "QueueStatus":
            return [{"Response": "Success"},
                    {"Event": "QueueMember", "Queue": "hotline", "Interface": "PJSIP/agent1002",
                     "Status": "2", "InCall": "1", "Paused": "0"},
                    {"Event": "QueueMember", "Queue": "hotline", "Interface": "PJSIP/agent1004",
                     "Status": "2", "InCall": "1", "Paused": "0"}]  # fmt: skip
        if action["Action"] == "CoreShowChannels":
            return [{"Response": "Success"},
                    {"Event": "CoreShowChannel", "Channel": "PJSIP/agent1002-0000002a",
                     "Uniqueid": "1795.12", "BridgeId": "b1",
                     "ChanVariable": CONTEXT},  # the seat's leg inherits YHT_CALL_ID
                    {"Event": "CoreShowChannel", "Channel": "PJSIP/trunk-00000029",
                     "Uniqueid": "1795.9", "BridgeId": "b1", "ChanVariable": CONTEXT},
                    {"Event": "CoreShowChannel", "Channel": "PJSIP/agent1004-0000002c",
                     "Uniqueid": "1795.13", "BridgeId": ""}]  # fmt: skip
        return [{"Response": "Success"}] if as_list else {"Response": "Success"}


async def test_a_resync_finds_the_call_a_seat_took_while_the_acd_was_down():
    acd, _, store = controller()
    acd.manager = StatusManager()
    await acd.resync()
    [offer] = offers(store)
    assert (offer["agent_id"], offer["call_id"], offer["channel"]) == (
        "1002",
        "1795.9",
        "PJSIP/trunk-00000029",
    )
    seat = acd.seat("1002")
    assert (seat.state, seat.call_id, seat.agent_channel) == (
        "talking",
        "1795.9",
        "PJSIP/agent1002-0000002a",
    )
    assert acd.seat("1004").call_id == ""  # no bridge, no call to offer
    await acd.resync()  # the same call again: no second pop
    assert len(offers(store)) == 1


def bridge_with_history() -> Bridge:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"items": []}))
    http = httpx.AsyncClient(transport=transport, base_url="http://ticketing")
    return Bridge(BridgeSettings(), redis=None, http=http)  # type: ignore[arg-type]


async def test_a_desk_that_comes_back_during_its_call_gets_the_pop_again_and_only_then():
    bridge = bridge_with_history()
    await bridge.route({"type": "seat", "agent_id": "1002", "state": "talking",
                        "call_id": "1795.9"})  # fmt: skip
    await bridge.route({"type": "offer", "agent_id": "1002", "call_id": "1795.9",
                        "context": {"YHT_CALLER": "13912345678"}})  # fmt: skip
    ws, other = FakeWs(), FakeWs()
    desk = Session(ws, "t", "a", "agent", "1002")  # type: ignore[arg-type]
    elsewhere = Session(other, "t", "b", "agent", "1003")  # type: ignore[arg-type]
    for session in (desk, elsewhere):
        await bridge._pop_again(session)
    await asyncio.gather(*bridge._tasks)
    await desk.flush()
    [pop] = [m for m in map(json.loads, ws.sent) if m["type"] == "screen_pop"]
    assert (pop["call_id"], pop["caller"]) == ("1795.9", "13912345678")
    assert other.sent == []
    # the call is over: a desk that connects now gets no pop of it
    await bridge.route({"type": "seat", "agent_id": "1002", "state": "wrapup", "call_id": ""})
    late = FakeWs()
    await bridge._pop_again(Session(late, "t", "a", "agent", "1002"))  # type: ignore[arg-type]
    assert not bridge._tasks and late.sent == []
    for session in (desk, elsewhere):
        await session.close()
    await bridge.http.aclose()


async def test_a_live_redis_written_back_after_an_outage_pops_nothing_up_again():
    acd, _, store = controller()
    await acd.on_event({"Event": "AgentCalled", "Queue": "hotline", "Uniqueid": "1795.9",
                        "Interface": "PJSIP/agent1002", "ChanVariable": CONTEXT})  # fmt: skip
    assert len(offers(store)) == 1
    await acd.rewrite_store()  # the live Redis came back empty
    assert len(offers(store)) == 1  # the pop is kept, not sent to the desk again
