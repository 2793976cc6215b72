"""Call control, unreachable seats and the SOS timeline in the ACD, and the
bridge's SOS alarms, from AMI events as Asterisk 22 sends them (pure logic
with an in-memory AMI and store; the real thing is in tests/integration)."""

from __future__ import annotations

import pytest

from acd.service import CallActionRefused, UnknownSeat
from softphone_bridge.server import Bridge, Session
from softphone_bridge.settings import BridgeSettings
from tests.unit.test_acd import MemoryStore, controller

ELDER = "PJSIP/citizen-trunk-00000007"
AGENT = "PJSIP/agent1003-00000008"
CALL_ID, CONF = "1795630157.7", "17956301577"
SOS_VARS = [f"YHT_CALL_ID={CALL_ID}", f"YHT_CONF={CONF}", "YHT_CATEGORY=sos",
            "YHT_CALLER=13900001234"]  # fmt: skip


class SosStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.timeline: list[dict] = []

    async def enqueue_sos(self, item: dict) -> None:
        self.timeline.append(item)


def sos_controller():
    acd, manager, _ = controller(wrapup=0)
    acd.store = store = SosStore()
    return acd, manager, store


async def feed(acd, *events: dict) -> None:
    for event in events:
        await acd.on_event(event)


async def answered_sos_call(acd) -> None:
    member = {"Queue": "sos", "Interface": "PJSIP/agent1003", "MemberName": "agent1003"}
    await feed(
        acd,
        {"Event": "QueueMemberAdded", **member, "Paused": "0"},
        {"Event": "UserEvent", "UserEvent": "YhtSosStart", "CallId": CALL_ID, "Conf": CONF,
         "Known": "1", "Recording": f"sos-{CONF}.wav", "ChanVariable": SOS_VARS},
        {"Event": "AgentCalled", **member, "Uniqueid": CALL_ID, "Channel": ELDER,
         "DestChannel": AGENT, "ChanVariable": SOS_VARS},
        {"Event": "AgentConnect", **member, "Uniqueid": CALL_ID, "Channel": ELDER,
         "DestChannel": AGENT, "HoldTime": "2", "ChanVariable": SOS_VARS},
    )  # fmt: skip


async def test_an_sos_call_leaves_a_timeline_from_start_to_the_elders_hang_up():
    acd, manager, store = sos_controller()
    await answered_sos_call(acd)
    conf = await acd.add_party("1003", "120")
    assert conf == CONF
    redirect = next(a for a in manager.actions if a["Action"] == "Redirect")
    assert (redirect["Channel"], redirect["Context"], redirect["Exten"]) == (
        ELDER,
        "yht-conf-caller",
        CONF,
    )
    assert (redirect["ExtraChannel"], redirect["ExtraContext"]) == (AGENT, "yht-conf-party")
    originates = [a["Channel"] for a in manager.actions if a["Action"] == "Originate"]
    # the call's dialplan log entry is cleared once the ACD has it, then 120 is dialled
    assert originates == [f"Local/{CONF}@yht-sos-log-del", f"Local/120*{CONF}@yht-conf-out"]
    await feed(
        acd,
        # app_queue reports the end of its bridge before the conference joins
        {"Event": "AgentComplete", "Queue": "sos", "Interface": "PJSIP/agent1003",
         "Uniqueid": CALL_ID, "ChanVariable": SOS_VARS},
        {"Event": "ConfbridgeJoin", "Conference": CONF, "Channel": AGENT, "Uniqueid": "1795.8"},
        {"Event": "ConfbridgeJoin", "Conference": CONF, "Channel": ELDER, "Uniqueid": CALL_ID},
        {"Event": "ConfbridgeJoin", "Conference": CONF, "Uniqueid": "1795.9",
         "Channel": f"Local/120*{CONF}@yht-conf-out-00000001;1"},
        {"Event": "ConfbridgeLeave", "Conference": CONF, "Channel": AGENT, "Uniqueid": "1795.8"},
        {"Event": "Hangup", "Channel": ELDER, "Uniqueid": CALL_ID, "Cause-txt": "Normal Clearing"},
    )  # fmt: skip
    kinds = [(t["kind"], t.get("detail", "")) for t in store.timeline]
    assert [k for k, _ in kinds] == ["start", "offered", "answered", "joined", "joined", "joined",
                                     "left", "ended"]  # fmt: skip
    assert ("joined", "120 加入三方通话") in kinds and ("left", "座席 1003 离开三方通话") in kinds
    assert store.timeline[0]["recording"] == f"sos-{CONF}.wav" and store.timeline[0]["known"]
    states = [s for seat, s in store.seat_states if seat == "1003"]
    # in the conference the seat is still talking; it is free once it leaves
    after_answer = states[states.index("talking") :]
    steps = [s for i, s in enumerate(after_answer) if i == 0 or after_answer[i - 1] != s]
    assert steps == ["talking", "wrapup", "ready"], states
    assert [p["state"] for p in store.published if p["type"] == "sos"] == [
        "waiting", "answered", "ended"]  # fmt: skip
    assert acd.sos == {}


async def test_call_actions_need_the_seats_own_call_and_a_permitted_target():
    acd, manager, _ = sos_controller()
    with pytest.raises(UnknownSeat):
        await acd.hangup("1003")  # not logged in, no call
    await answered_sos_call(acd)
    for bad in ("moon", "12345", "0"):
        with pytest.raises(CallActionRefused):
            await acd.transfer("1003", bad)
    with pytest.raises(CallActionRefused):
        await acd.add_party("1003", "999")
    with pytest.raises(CallActionRefused):
        await acd.spy("1004", "1003", "shout")
    await acd.transfer("1003", "110")
    transfer = manager.actions[-1]
    assert (transfer["Channel"], transfer["Exten"], transfer["ExtraChannel"]) == (
        ELDER, "110", AGENT)  # fmt: skip
    await acd.spy("1004", "1003", "whisper")
    spy = manager.actions[-1]
    assert (spy["Channel"], spy["Application"], spy["Data"]) == (
        "PJSIP/agent1004", "ChanSpy", f"{AGENT},qEw")  # fmt: skip


async def test_a_phone_that_drops_off_is_unreachable_and_comes_back_paused():
    acd, _, store = sos_controller()
    member = {"Queue": "hotline", "Interface": "PJSIP/agent1002", "MemberName": "agent1002"}
    await feed(
        acd,
        {"Event": "QueueMemberAdded", **member, "Paused": "0", "Status": "1"},
        {"Event": "QueueMemberPause", **member, "Paused": "1", "PausedReason": "break"},
        {"Event": "QueueMemberStatus", **member, "Status": "5", "Paused": "1"},
        {"Event": "QueueMemberStatus", **member, "Status": "1", "Paused": "1",
         "PausedReason": "break"},
    )  # fmt: skip
    assert [s for _, s in store.seat_states] == ["ready", "paused", "unreachable", "ready",
                                                 "paused"]  # fmt: skip
    assert acd.seat("1002").reason == "break"


class FakeWs:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)


async def test_leads_see_sos_alarms_until_answered_and_nobody_sees_channel_names():
    import json

    bridge = Bridge(BridgeSettings(), redis=None, http=None)  # type: ignore[arg-type]
    lead, agent = FakeWs(), FakeWs()
    bridge.sessions |= {
        Session(lead, "t", "lead", "shift_lead", None),  # type: ignore[arg-type]
        Session(agent, "t", "a", "agent", "1003"),
    }  # type: ignore[arg-type]
    await bridge.route({"type": "sos", "call_id": CALL_ID, "state": "waiting",
                        "caller": "13900001234"})  # fmt: skip
    await bridge.route({"type": "seat", "agent_id": "1003", "state": "talking",
                        "agent_channel": AGENT, "caller_channel": ELDER})  # fmt: skip
    await bridge.route({"type": "sos", "call_id": CALL_ID, "state": "answered"})
    await bridge.flush()
    to_lead = [json.loads(m) for m in lead.sent]
    to_agent = [json.loads(m) for m in agent.sent]
    assert [m["type"] for m in to_lead] == ["alarm", "seat", "alarm_clear"]
    assert "13900001234" in to_lead[0]["message"]
    # every agent's desk learns that an SOS call waits, without the number
    assert [m["type"] for m in to_agent] == ["sos_waiting", "seat", "sos_clear"]
    assert to_agent[0] == {"type": "sos_waiting", "call_id": CALL_ID, "escalated": False}
    assert "13900001234" not in json.dumps(to_agent)
    assert "agent_channel" not in to_agent[1] and "caller_channel" not in to_lead[1]
    assert bridge.alarms == {} and bridge.sos_waiting == {}


async def test_a_phone_that_drops_off_during_wrap_up_is_still_unpaused():
    import asyncio

    from tests.unit.test_acd import controller as plain_controller

    acd, manager, _ = plain_controller(wrapup=0.05)
    member = {"Queue": "hotline", "Interface": "PJSIP/agent1001", "MemberName": "agent1001"}
    await feed(
        acd,
        {"Event": "QueueMemberAdded", **member, "Paused": "0", "Status": "1"},
        {"Event": "AgentConnect", **member, "Uniqueid": "1795.1", "Channel": ELDER,
         "DestChannel": "PJSIP/agent1001-00000001", "HoldTime": "1"},
        {"Event": "AgentComplete", **member, "Uniqueid": "1795.1"},
        {"Event": "QueueMemberStatus", **member, "Status": "5", "Paused": "1",
         "PausedReason": "wrapup"},
    )  # fmt: skip
    assert acd.seat("1001").state == "unreachable"
    await asyncio.sleep(0.2)
    unpause = [a for a in manager.actions if a["Action"] == "QueuePause" and a["Paused"] == "false"]
    assert unpause, "the wrap-up pause was never lifted"


async def test_a_callback_rings_the_seat_first_and_only_for_a_free_seat_and_an_allowed_number():
    acd, manager, _ = sos_controller()
    with pytest.raises(UnknownSeat):
        await acd.dial("1003", "13912345678", "12345")  # not logged in
    await feed(
        acd,
        {
            "Event": "QueueMemberAdded",
            "Queue": "sos",
            "Interface": "PJSIP/agent1003",
            "MemberName": "agent1003",
            "Paused": "0",
        },
    )  # logged in, free
    for bad_number, bad_id in (("999", "12345"), ("0013912345678", "12345"),
                               ("13912345678", "12345<sip:x>")):  # fmt: skip
        with pytest.raises(CallActionRefused):
            await acd.dial("1003", bad_number, bad_id)
    await acd.dial("1003", "13912345678", "12345", "cb1795700000.123456789")
    call = manager.actions[-1]
    # the seat's own phone is the channel called first; the citizen is the
    # extension it goes to once answered (recorded, then under the outbound
    # rules and caps: 55-callback.conf), the seat's leg with the given call id
    assert (call["Channel"], call["Context"], call["Exten"]) == (
        "PJSIP/agent1003", "yht-callback", "13912345678")  # fmt: skip
    assert call["CallerID"] == '"12345" <12345>' and "YHT_OUT_SEAT=1003" in call["Variable"]
    assert call["ChannelId"] == "cb1795700000.123456789"
    await answered_sos_call(acd)  # now on a call: no second one
    with pytest.raises(CallActionRefused):
        await acd.dial("1003", "13912345678", "12345")


async def test_an_unknown_caller_without_automatic_120_alarms_the_lead_until_answered():
    """Issue 28 item 13: Auto120 0 raises the lead's alarm at the start, the
    answer time running out raises it again with the wait, and the answer
    clears it; a call that dials 120 by itself raises none."""
    acd, _, store = sos_controller()
    start = {"Event": "UserEvent", "UserEvent": "YhtSosStart", "CallId": CALL_ID, "Conf": CONF,
             "Known": "0", "Auto120": "0", "Recording": "", "ChanVariable": SOS_VARS}  # fmt: skip
    await feed(acd, start)
    alarms = [p for p in store.published if p["type"] == "alarm_set"]
    assert [a["key"] for a in alarms] == [f"sos-unknown:{CONF}"]
    assert "不会自动接通 120" in alarms[0]["message"] and "13900001234" not in alarms[0]["message"]
    await feed(acd, {"Event": "UserEvent", "UserEvent": "YhtSosOverdue", "CallId": CALL_ID,
                     "Conf": CONF, "Status": "TIMEOUT", "Waited": "15"})  # fmt: skip
    again = [p for p in store.published if p["type"] == "alarm_set"][-1]
    assert "已等待 15 秒" in again["message"] and store.timeline[-1]["kind"] == "overdue"
    member = {"Queue": "sos", "Interface": "PJSIP/agent1003", "MemberName": "agent1003"}
    await feed(acd, {"Event": "AgentConnect", **member, "Uniqueid": CALL_ID, "Channel": ELDER,
                     "DestChannel": AGENT, "HoldTime": "16", "ChanVariable": SOS_VARS})  # fmt: skip
    assert {"type": "alarm_clear", "key": f"sos-unknown:{CONF}"} in store.published

    acd, _, store = sos_controller()
    await feed(acd, {**start, "Auto120": "1"})
    assert not [p for p in store.published if p["type"] == "alarm_set"]


def test_a_line_where_anyone_gets_120_must_be_an_sos_number():
    from pydantic import ValidationError

    from scripts.pbx import PbxSettings

    with pytest.raises(ValidationError, match="12350, which are not SOS numbers"):
        PbxSettings(sos_numbers="12349", sos_anyone_120="12350")
    assert PbxSettings(sos_numbers="12349,12350", sos_anyone_120=" 12350").sos_anyone_120_list == [
        "12350"
    ]
