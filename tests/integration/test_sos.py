"""The elderly one-key SOS line against real Asterisk: sipp plays the elder,
the seats' phones and the 120 center on the partner trunk."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from testkit.ami import chan_vars
from testkit.sipp import place_call
from testkit.waiting import until, wait_until
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_desk import Page, open_page
from tests.integration.test_recordings import riff_size

SEAT = "1003"
SOS_NUMBER = "12349"  # the default policy: automatic 120 for confirmed devices
ANYONE_LINE = "12350"  # testkit: any caller gets 120 on this line


def digits(call_id: str) -> str:
    return "".join(c for c in call_id if c.isdigit())


@pytest.fixture
def seat_phone(seat_phones):
    return seat_phones(SEAT)


def register_elder(ticketing_service, number: str, contact: str | None = None) -> dict:
    lead = ticketing_service.user("lead1", "shift_lead")
    contacts = [{"name": "李明", "relation": "儿子", "phone": contact}] if contact else []
    response = httpx.post(f"{ticketing_service.base}/elders", headers=lead, json={
        "name": "王秀英", "age": 82, "numbers": [number], "address": "幸福路 8 号 201",
        "latitude": 29.56, "longitude": 106.55, "conditions": "冠心病",
        "medicines": "硝酸甘油", "contacts": contacts, "community": "幸福社区"})  # fmt: skip
    response.raise_for_status()
    return response.json()


async def sos_record(ticketing_service, call_id: str, until_kind: str, timeout: float = 20):
    lead = ticketing_service.user("lead1", "shift_lead")
    deadline = time.monotonic() + timeout
    record: dict = {}
    while time.monotonic() < deadline:
        response = await asyncio.to_thread(
            httpx.get, f"{ticketing_service.base}/sos-calls/{call_id}", headers=lead
        )
        if response.status_code == 200:
            record = response.json()
            if until_kind in [s["kind"] for s in record["timeline"]]:
                return record
        await asyncio.sleep(0.3)
    raise AssertionError(f"SOS record never reached {until_kind}: {record}")


async def logged_in(page: Page, state: str = "ready") -> None:
    await page.send(type="login", ref="login")
    await page.expect(lambda m: m["type"] == "seat" and m["state"] == state)


async def test_sos_jumps_the_queue_pops_the_profile_and_bridges_120_without_the_agent(
    pbx, live_desk, ticketing_service, seat_phone, center, ami, workdir
):
    elder = new_caller()
    register_elder(ticketing_service, elder)
    agent = ticketing_service.user("desk1003", "agent", seat=SEAT)
    page = await open_page(live_desk["ws"], agent)
    board = await open_page(live_desk["ws"], ticketing_service.user("lead1", "shift_lead"))
    center_120 = center()
    try:
        await logged_in(page)
        await page.send(type="pause", reason="meeting", ref="p")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "paused")
        # an ordinary caller waits (the seat is on a break), then the elder
        # presses the SOS key: a break holds back ordinary calls, not an emergency
        citizen = new_caller()
        ordinary = place_call(pbx.settings.sip_port, "12345", citizen, workdir, hold_ms=22000)
        await ami.wait_for("QueueCallerJoin", is_caller(citizen), timeout=40)
        sos_call = place_call(pbx.settings.sip_port, SOS_NUMBER, elder, workdir, hold_ms=20000)
        joined = await ami.wait_for("QueueCallerJoin", is_caller(elder), timeout=20)
        assert joined["Queue"] == "sos"
        call_id = joined["Uniqueid"]
        alarm = await board.expect(lambda m: m["type"] == "alarm" and m["key"] == f"sos:{call_id}")
        assert elder in alarm["message"]

        offered = await ami.wait_for("AgentCalled",
                                     lambda e: e.get("MemberName") == f"agent{SEAT}")  # fmt: skip
        assert offered["Queue"] == "sos", "the seat on a break was offered the ordinary call"
        pop = await page.expect(lambda m: m["type"] == "screen_pop")
        assert pop["sos"] and pop["caller"] == elder
        profile = await page.expect(lambda m: m["type"] == "sos_profile")
        assert profile["known"] and profile["profile"]["conditions"] == "冠心病"
        await ami.wait_for("AgentConnect", is_caller(elder))
        await board.expect(lambda m: m["type"] == "alarm_clear" and m["key"] == f"sos:{call_id}")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "talking")

        await page.send(type="party", number="120", ref="120")
        ack = await page.expect(lambda m: m.get("ref") == "120")
        assert ack["type"] == "ack", ack
        conf = digits(call_id)
        in_conf = set()

        def joins(event) -> bool:
            if event.get("Conference") == conf:
                in_conf.add(event["Channel"])
            return len(in_conf) >= 3

        await ami.wait_for("ConfbridgeJoin", joins, timeout=20)
        assert any(c.startswith("Local/120*") for c in in_conf)
        assert any(c.startswith(f"PJSIP/agent{SEAT}-") for c in in_conf)
        assert any(c.startswith("PJSIP/citizen-trunk-") for c in in_conf)
        # 120 sees the elder's number: it can call back
        assert center_120.invites(dialled="120", caller=elder) == 1

        # the agent leaves; the elder and 120 stay connected
        await page.send(type="hangup", ref="h")
        assert (await page.expect(lambda m: m.get("ref") == "h"))["type"] == "ack"
        await ami.wait_for("ConfbridgeLeave", lambda e: e.get("Conference") == conf
                           and e["Channel"].startswith(f"PJSIP/agent{SEAT}-"))  # fmt: skip

        def members() -> str:
            return pbx.cli(f"confbridge list {conf}").stdout

        await until(lambda: f"agent{SEAT}" not in members(), 10, "the agent out of the conference")
        assert "Local/120*" in members() and "citizen-trunk" in members(), members()

        assert await sos_call.finished(40) == 0
        # the elder hung up: 120 is released too
        await ami.wait_for("ConfbridgeLeave", lambda e: e.get("Conference") == conf
                           and e["Channel"].startswith("Local/120*"))  # fmt: skip
        record = await sos_record(ticketing_service, call_id, "ended")
        kinds = [s["kind"] for s in record["timeline"]]
        for kind in ("start", "offered", "answered", "dialled", "joined", "left", "ended"):
            assert kind in kinds, kinds
        assert kinds[0] == "start" and kinds[-1] == "ended"
        assert record["elder"]["name"] == "王秀英" and not record["follow_up"]
        order = ticketing_service.find(record["order_number"])
        assert order["urgency"] == "urgent" and "冠心病" not in order["content"]
        assert record["elder"]["conditions"] == "冠心病"  # health data stays in the profile
        recording = pbx.dir / "spool" / "monitor" / record["recording"]
        wait_until(recording.exists, 5, "the recording file")
        assert recording.stat().st_size > 1000
        # closed (its header complete) by the time the elder's leg is announced gone
        await ami.wait_for("Hangup", lambda e: e.get("Uniqueid") == call_id, timeout=20)
        assert riff_size(recording) > 1000
        # the ordinary caller waited its turn: the seat takes it after the SOS call
        await ami.wait_for("AgentConnect", is_caller(citizen), timeout=30)
        assert await ordinary.finished(60) == 0
    finally:
        await page.send(type="logout", ref="bye")
        await page.expect(lambda m: m.get("ref") == "bye")
        await page.ws.close()
        await board.ws.close()


async def test_a_busy_seat_sees_the_sos_call_waiting_and_is_rung_the_moment_it_frees(
    pbx, live_desk, ticketing_service, seat_phone, ami, workdir
):
    """Every seat is talking: the desk shows that an SOS call waits (without
    the number), and the seat is rung for it as soon as its call ends, in its
    wrap-up, through the ACD moving the waiting call back into the queue
    (bench/sos_latency.py measures how soon)."""
    elder = new_caller()
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    try:
        await logged_in(page)
        citizen = new_caller()
        ordinary = place_call(pbx.settings.sip_port, "12345", citizen, workdir, hold_ms=7000)
        await ami.wait_for("AgentConnect", is_caller(citizen), timeout=30)
        sos_call = place_call(pbx.settings.sip_port, SOS_NUMBER, elder, workdir, hold_ms=15000)
        joined = await ami.wait_for("QueueCallerJoin", is_caller(elder), timeout=20)
        waiting = await page.expect(lambda m: m["type"] == "sos_waiting"
                                    and m["call_id"] == joined["Uniqueid"])  # fmt: skip
        assert elder not in json.dumps(waiting) and not waiting["escalated"]

        complete = await ami.wait_for("AgentComplete", is_caller(citizen), timeout=30)
        again = await ami.wait_for("QueueCallerJoin", lambda e: is_caller(elder)(e)
                                   and e is not joined, timeout=10)  # fmt: skip
        mine = f"agent{SEAT}"
        rung = await ami.wait_for("AgentCalled", lambda e: is_caller(elder)(e)
                                  and e.get("MemberName") == mine, timeout=10)  # fmt: skip
        assert rung["Queue"] == "sos" and again["Queue"] == "sos"
        # offered again after the seat's call ended, and rung before its
        # wrap-up (a pause for ordinary calls) was over: by Asterisk's clock
        assert float(rung["Timestamp"]) >= float(again["Timestamp"])
        unpaused = [e for e in ami.events if e.get("Event") == "QueueMemberPause"
                    and e.get("MemberName") == f"agent{SEAT}" and e.get("Paused") == "0"
                    and float(e["Timestamp"]) >= float(complete["Timestamp"])]  # fmt: skip
        assert not unpaused or float(unpaused[0]["Timestamp"]) >= float(rung["Timestamp"])
        await ami.wait_for("AgentConnect", is_caller(elder), timeout=10)
        await page.expect(lambda m: m["type"] == "sos_clear"
                          and m["call_id"] == joined["Uniqueid"])  # fmt: skip
        assert await sos_call.finished(40) == 0 and await ordinary.finished(30) == 0
    finally:
        await page.send(type="logout", ref="bye")
        await page.expect(lambda m: m.get("ref") == "bye")
        await page.ws.close()


async def test_nobody_answers_120_is_busy_then_answers_and_a_seat_joins_later(
    pbx, live_desk, ticketing_service, seat_phone, center, ami, workdir
):
    elder, contact = new_caller(), "13700009999"
    register_elder(ticketing_service, elder, contact=contact)
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    board = await open_page(live_desk["ws"], ticketing_service.user("lead1", "shift_lead"))
    busy = center(busy=True)
    try:
        # no seat is logged in: nobody answers
        sos_call = place_call(pbx.settings.sip_port, SOS_NUMBER, elder, workdir, hold_ms=30000)
        joined = await ami.wait_for("QueueCallerJoin", is_caller(elder), timeout=20)
        call_id, conf = joined["Uniqueid"], digits(joined["Uniqueid"])
        escalate = await ami.wait_for("UserEvent", lambda e: e.get("UserEvent") == "YhtSosEscalate"
                                      and e.get("CallId") == call_id, timeout=30)  # fmt: skip
        assert escalate["Status"] == "TIMEOUT"  # the configured answer time ran out
        failed = await ami.wait_for("UserEvent", lambda e: e.get("UserEvent") == "YhtDialFailed"
                                    and e.get("Conf") == conf and e.get("Number") == "120",
                                    timeout=20)  # fmt: skip
        assert failed["Status"] == "BUSY"
        alarm = await board.expect(lambda m: m["type"] == "alarm" and m["key"] == f"dial:{conf}")
        assert "120" in alarm["message"] and "重拨" in alarm["message"]
        # the elder is never dropped while 120 is busy; it answers on a redial
        busy.stop()
        center_120 = center()
        joined_120 = await ami.wait_for("ConfbridgeJoin", lambda e: e.get("Conference") == conf
                                        and e["Channel"].startswith("Local/120*"),
                                        timeout=30)  # fmt: skip
        assert center_120.invites(dialled="120") >= 1
        await board.expect(lambda m: m["type"] == "alarm_clear" and m["key"] == f"dial:{conf}")
        # the emergency contact hears "中心已经接通120急救中心": rung only once
        # 120 is on the line, never at the escalation (issue 28 item 12)
        dialled = await ami.wait_for("UserEvent", lambda e: e.get("UserEvent") == "YhtDialOut"
                                     and e.get("Number") == contact, timeout=30)  # fmt: skip
        assert dialled["Conf"] == conf
        assert float(dialled["Timestamp"]) > float(joined_120["Timestamp"])
        assert busy.invites(dialled=contact) == 0
        assert busy.invites(dialled="120") >= 1
        # the call is still offered to the seats: the seat that logs in joins
        await logged_in(page)
        connect = await ami.wait_for("AgentConnect", lambda e: e.get("MemberName")
                                     == f"agent{SEAT}" and e.get("Queue") == "sos")  # fmt: skip
        # the seat joins through the offer that outlived the escalation; its
        # phone shows the elder, and its pop carries the call's own id and line
        assert chan_vars(connect).get("YHT_SOS_JOIN") == "1" and connect["Uniqueid"] != call_id
        assert connect["CallerIDNum"] == elder
        screen = await page.expect(lambda m: m["type"] == "screen_pop")
        assert screen["call_id"] == call_id and screen["hotline"] == SOS_NUMBER
        pop = await page.expect(lambda m: m["type"] == "sos_profile")
        assert pop["profile"]["name"] == "王秀英"
        assert await sos_call.finished(40) == 0
        record = await sos_record(ticketing_service, call_id, "ended")
        kinds = [s["kind"] for s in record["timeline"]]
        for kind in ("start", "escalated", "dial_failed", "joined", "contact_called",
                     "answered", "ended"):  # fmt: skip
            assert kind in kinds, kinds
        attempts = [s for s in record["timeline"]
                    if s["kind"] == "dialled" and contact in s["detail"]]  # fmt: skip
        assert len(attempts) >= 1  # every attempt to the contact is on the timeline
    finally:
        await page.send(type="logout", ref="bye")
        await page.expect(lambda m: m.get("ref") == "bye")
        await page.ws.close()
        await board.ws.close()


async def test_an_unknown_caller_on_the_home_care_line_alarms_the_lead_and_never_dials_120(
    pbx, live_desk, ticketing_service, seat_phone, center, ami, workdir
):
    """Issue 28 item 13: 12349 is a home-care line in many cities. An unknown
    number calling it while no seat is free is first in the SOS queue and the
    shift lead is alarmed at once; when the answer time runs out nothing
    dials 120, the alarm says how long it has waited, and the seat that logs
    in answers it (a confirmed device on the same line does get 120: the
    test above)."""
    lunch = new_caller()
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    board = await open_page(live_desk["ws"], ticketing_service.user("lead1", "shift_lead"))
    center_120 = center()
    try:
        call = place_call(pbx.settings.sip_port, SOS_NUMBER, lunch, workdir, hold_ms=20000)
        joined = await ami.wait_for("QueueCallerJoin", is_caller(lunch), timeout=20)
        call_id, conf = joined["Uniqueid"], digits(joined["Uniqueid"])
        assert joined["Queue"] == "sos"
        alarm = await board.expect(lambda m: m["type"] == "alarm"
                                   and m["key"] == f"sos-unknown:{conf}")  # fmt: skip
        assert "不会自动接通 120" in alarm["message"] and lunch not in alarm["message"]
        overdue = await ami.wait_for("UserEvent", lambda e: e.get("UserEvent") == "YhtSosOverdue"
                                     and e.get("CallId") == call_id, timeout=30)  # fmt: skip
        # at once: raised before the answer time ran out, on the ACD's clock
        assert float(alarm["at"]) < float(overdue["Timestamp"]) - 3, (alarm, overdue)
        again = await board.expect(lambda m: m["type"] == "alarm" and "等待" in m["message"]
                                   and m["key"] == f"sos-unknown:{conf}")  # fmt: skip
        assert "无人接听" in again["message"]
        await logged_in(page)
        connect = await ami.wait_for("AgentConnect", lambda e: e.get("Uniqueid") == call_id,
                                     timeout=20)  # fmt: skip
        assert connect["Queue"] == "sos" and connect["MemberName"] == f"agent{SEAT}"
        await board.expect(lambda m: m["type"] == "alarm_clear"
                           and m["key"] == f"sos-unknown:{conf}")  # fmt: skip
        assert await call.finished(40) == 0
        record = await sos_record(ticketing_service, call_id, "ended")
        kinds = [s["kind"] for s in record["timeline"]]
        assert "overdue" in kinds and "answered" in kinds and "escalated" not in kinds, kinds
        assert record["follow_up"] is True
        assert center_120.invites(dialled="120") == 0
        assert not [e for e in ami.events if e.get("UserEvent") == "YhtSosEscalate"
                    and e.get("CallId") == call_id]  # fmt: skip
    finally:
        await page.send(type="logout", ref="bye")
        await page.expect(lambda m: m.get("ref") == "bye")
        await page.ws.close()
        await board.ws.close()


async def test_the_sos_line_works_with_every_python_service_down(
    pbx, agi_server, live_desk, ticketing_service, center, ami, workdir
):
    """FastAGI, ACD, bridge and work-order service stopped: a registered SOS
    device dialling the ordinary hotline still reaches the SOS queue and
    120; so does an unknown number on the line where anyone gets 120 (12350
    in the tests). An unknown number on the default line (12349) reaches the
    SOS queue first in line and keeps ringing the seats, but never dials 120
    by itself (issue 28 item 13)."""
    device = new_caller()
    register_elder(ticketing_service, device)
    # the ACD copies registered devices into AstDB, where the dialplan looks
    wait_until(lambda: "1" in pbx.cli(f"database get yht-sos {device}", check=False).stdout,
               15, "the device number in AstDB")  # fmt: skip
    stopped = [live_desk["bridge"], live_desk["acd"], agi_server, ticketing_service]
    for service in stopped:
        service.stop()
    try:
        center_120 = center()
        registered = place_call(pbx.settings.sip_port, "12345", device, workdir, hold_ms=14000)
        unknown, lunch = new_caller(), new_caller()
        stranger = place_call(pbx.settings.sip_port, ANYONE_LINE, unknown, workdir, hold_ms=14000)
        home_care = place_call(pbx.settings.sip_port, SOS_NUMBER, lunch, workdir, hold_ms=14000)
        for caller in (device, unknown):
            joined = await ami.wait_for("QueueCallerJoin", is_caller(caller), timeout=20)
            assert joined["Queue"] == "sos"
            conf = digits(joined["Uniqueid"])
            await ami.wait_for("ConfbridgeJoin", lambda e, c=conf: e.get("Conference") == c
                               and e["Channel"].startswith("Local/120*"), timeout=30)  # fmt: skip
        # with every service down too, 120 sees each elder's own number
        assert center_120.invites(dialled="120", caller=device) >= 1
        assert center_120.invites(dialled="120", caller=unknown) >= 1
        # the unknown caller on the default line: past its answer time it is
        # still first in the SOS queue, and nothing dialled 120 for it
        joined = await ami.wait_for("QueueCallerJoin", is_caller(lunch), timeout=20)
        assert joined["Queue"] == "sos" and chan_vars(joined).get("YHT_SOS_AUTO_120") == "0"
        lunch_id = joined["Uniqueid"]
        overdue = await ami.wait_for("UserEvent", lambda e: e.get("UserEvent") == "YhtSosOverdue"
                                     and e.get("CallId") == lunch_id, timeout=30)  # fmt: skip
        assert overdue["Status"] == "TIMEOUT"
        await ami.wait_for(
            "QueueCallerJoin",
            lambda e: (
                is_caller(lunch)(e) and float(e["Timestamp"]) > float(overdue["Timestamp"]) - 1
            ),
            timeout=10,
        )  # fmt: skip  back in the queue, not in a conference
        assert not [e for e in ami.events if e.get("UserEvent") == "YhtSosEscalate"
                    and e.get("CallId") == joined["Uniqueid"]]  # fmt: skip
        assert center_120.invites(dialled="120", caller=lunch) == 0
        # the device skipped the voice menu and the ordinary queue entirely
        assert not [e for e in ami.events if e.get("Event") == "QueueCallerJoin"
                    and e.get("Queue") != "sos" and is_caller(device)(e)]  # fmt: skip
        assert await registered.finished(40) == 0 and await stranger.finished(40) == 0
        assert await home_care.finished(40) == 0
        assert center_120.invites(dialled="120", caller=lunch) == 0
        # the calls ended: their offers to the seats end with them (no seat
        # may be rung later for an SOS call that is over)
        wait_until(lambda: "No Callers" in pbx.cli("queue show sos").stdout, 10,
                   "the SOS queue to be empty")  # fmt: skip
    finally:
        ticketing_service.restart()
        agi_server.start()
        live_desk["acd"].start()
        live_desk["bridge"].start()
