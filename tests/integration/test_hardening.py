"""The switch closed to abuse, against the real Asterisk: AMI least privilege,
an unprivileged Asterisk, no toll fraud, SOS routing only for confirmed
devices, data kept across restarts, one credential per caller."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from panoramisk import Manager
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from scripts.pbx import Pbx, PbxSettings, agent_password
from scripts.pbx_account import SERVICE_ACCOUNT
from testkit.ami import channel_at
from testkit.sipp import SIPP_DIR, CitizenCall, place_call, start_sipp
from testkit.waiting import free_port, free_tcp_port, until, wait_until
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_desk import open_page

DIALLING_SEAT = "1002"


async def acd_manager(pbx) -> Manager:
    manager = Manager(loop=asyncio.get_running_loop(), host="127.0.0.1",
                      port=pbx.settings.ami_port, username=pbx.settings.ami_user,
                      secret=pbx.ami_secret, ping_delay=60)  # fmt: skip
    await manager.connect()
    deadline = time.monotonic() + 10
    while not manager.authenticated:
        assert time.monotonic() < deadline, "the ACD's AMI user could not log in"
        await asyncio.sleep(0.05)
    return manager


async def test_the_acds_ami_user_cannot_load_modules_read_config_or_run_commands(pbx, workdir):
    manager = await acd_manager(pbx)
    events: list = []
    manager.register_event("*", lambda _m, e: events.append(e))
    try:
        refused = {
            "ModuleLoad": {"Module": "app_system.so", "LoadType": "load"},
            "GetConfig": {"Filename": "pjsip_agents.conf"},
            "Command": {"Command": "core show version"},
            "DBPut": {"Family": "yht-sos", "Key": "13900000000", "Val": "1"},
        }
        for action, fields in refused.items():
            reply = await manager.send_action({"Action": action, **fields}, as_list=False)
            assert reply.get("Response") == "Error", (action, dict(reply))
            assert "Permission denied" in reply.get("Message", ""), (action, dict(reply))
        # Originate may not reach a shell either
        shell = await manager.send_action({
            "Action": "Originate", "Channel": "Local/s@yht-sos-put", "Application": "System",
            "Data": "touch /tmp/pwned", "Async": "true"}, as_list=False)  # fmt: skip
        assert shell.get("Response") == "Error"
        # and the ACD hears only the events it handles: a refused call's
        # Hangup arrives, its Newchannel and dialplan steps do not
        caller = new_caller()
        call = place_call(pbx.settings.sip_port, "99999", caller, workdir, hold_ms=1000,
                          scenario="citizen_unknown_number.xml")  # fmt: skip
        assert await asyncio.to_thread(call.wait, 20) == 0
        await until(lambda: any(e.get("Event") == "Hangup" and e.get("CallerIDNum") == caller
                                for e in events), 10, "the Hangup event")  # fmt: skip
        names = {e.get("Event") for e in events}
        assert not names & {"Newchannel", "Newexten", "VarSet", "NewCallerid", "DialBegin"}
    finally:
        manager.close()


def test_asterisk_runs_unprivileged_with_ami_on_loopback(pbx):
    status = Path(f"/proc/{pbx.process.pid}/status").read_text()
    uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
    service_uid = int(subprocess.run(["id", "-u", SERVICE_ACCOUNT], capture_output=True,
                                     text=True, check=True).stdout)  # fmt: skip
    assert {int(u) for u in uids} == {service_uid} and service_uid != 0
    for kept in ("lib", "spool", "log"):
        assert (pbx.dir / kept).stat().st_uid == service_uid
    assert (pbx.dir / "etc").stat().st_uid == 0
    assert (pbx.dir / "etc" / "pjsip_agents.conf").stat().st_mode & 0o007 == 0
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{pbx.settings.ami_port}"],
                               capture_output=True, text=True).stdout  # fmt: skip
    assert {line.split()[3] for line in listening.splitlines()} == {
        f"127.0.0.1:{pbx.settings.ami_port}"
    }


SCHED_RR = 2  # the policy field of /proc/PID/task/TID/stat (sched.h)


def test_asterisk_threads_run_in_the_real_time_class(pbx):
    """highpriority (asterisk.conf): the media threads are not starved by the
    services and phones on the same machine (a restarting service cost
    recordings seconds of audio before). Asterisk drops root, not its class."""
    tasks = Path(f"/proc/{pbx.process.pid}/task")
    policies = {}
    for task in tasks.iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that just ended
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            policies[task.name] = int(fields[38])  # field 41 counted from pid
    assert len(policies) > 10, policies  # Asterisk's threads, not a wrapper's
    assert set(policies.values()) == {SCHED_RR}, policies


def udp_addresses(pid: int) -> set[str]:
    """The local addresses of the UDP sockets process `pid` holds."""
    out = subprocess.run(["ss", "-Hunap"], capture_output=True, text=True, check=True).stdout
    return {line.split()[3] for line in out.splitlines() if f"pid={pid}," in line}


async def test_a_calls_media_listens_on_the_sip_address_only(pbx, agi_server, workdir):
    """RTP bound to the SIP address (pjsip.conf media_address), not to every
    interface: nothing of Asterisk's listens beyond what is configured."""
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=4000)
    try:
        rtp = range(pbx.settings.rtp_start, pbx.settings.rtp_end + 1)

        def media() -> set[str]:
            found = udp_addresses(pbx.process.pid)
            return {a for a in found if int(a.rsplit(":", 1)[1]) in rtp}

        sockets = await asyncio.to_thread(wait_until, media, 15, "the call's RTP sockets")
        assert {a.rsplit(":", 1)[0] for a in sockets} == {"127.0.0.1"}, sockets
    finally:
        assert await asyncio.to_thread(call.wait, 30) == 0


def seat_dials(pbx, workdir: Path, number: str, hold_ms: int = 1000) -> CitizenCall:
    seat = f"agent{DIALLING_SEAT}"
    return start_sipp(
        ["sipp", "-sf", str(SIPP_DIR / "seat_dial.xml"), "-i", "127.0.0.1", "-s", number,
         "-au", seat, "-ap", agent_password(DIALLING_SEAT), "-key", "seat", seat,
         "-d", str(hold_ms), "-m", "1", "-timeout", "60", "-timeout_error", "-nostdin",
         f"127.0.0.1:{pbx.settings.sip_port}"],
        workdir,
    )  # fmt: skip


def user_event(name: str, **fields):
    return lambda e: e.get("UserEvent") == name and all(e.get(k) == v for k, v in fields.items())


async def test_a_seat_cannot_dial_abroad_and_its_outside_calls_are_capped(
    pbx, center, ami, workdir
):
    partner = center()
    # international and premium-style numbers are refused by the dialplan itself
    for number in ("00441234567890", "0016505550100", "1680001234"):
        refused = seat_dials(pbx, workdir, number)
        assert await asyncio.to_thread(refused.wait, 30) == 0
        await ami.wait_for("UserEvent", user_event("YhtDialRefused", Number=number))
    # a mobile goes out; a second at once is over this seat's cap (1 in the tests)
    first = seat_dials(pbx, workdir, "13800000001", hold_ms=8000)
    await ami.wait_for("DialBegin", lambda e: "13800000001" in e.get("DestChannel", "")
                       or e.get("DialString", "").startswith("13800000001"))  # fmt: skip
    second = seat_dials(pbx, workdir, "13800000002")
    await ami.wait_for("UserEvent", user_event("YhtDialCapped", Number="13800000002",
                                               Seat=DIALLING_SEAT))  # fmt: skip
    assert await asyncio.to_thread(second.wait, 30) == 0
    # emergency numbers are never held back by a cap
    emergency = seat_dials(pbx, workdir, "110")
    await ami.wait_for("DialBegin", lambda e: e.get("DialString", "").startswith("110@"))
    assert await asyncio.to_thread(emergency.wait, 30) == 0
    assert await asyncio.to_thread(first.wait, 30) == 0
    assert partner.invites(dialled="13800000001") == 1 and partner.invites(dialled="110") == 1
    assert partner.invites(dialled="13800000002") == 0
    assert partner.invites(dialled="00441234567890") == 0


def cdr_lines(pbx) -> list[str]:
    path = pbx.dir / "log" / "cdr-csv" / "Master.csv"
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def test_call_detail_records_are_written(pbx, workdir):
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "99999", caller, workdir, hold_ms=1000,
                      scenario="citizen_unknown_number.xml")  # fmt: skip
    assert call.wait(timeout=20) == 0
    wait_until(lambda: any(caller in line for line in cdr_lines(pbx)), 10, "the CDR line")


async def test_asterisk_generates_no_event_that_nobody_reads(pbx, agi_server, ami, workdir):
    """manager.conf `disabledevents`: not even the observer, who may read the
    dialplan class, gets a Newexten or VarSet for a call through the menu's
    FastAGI (the manager's one thread formatted thousands of them a second
    at the day's peak and fell behind), while call events still arrive."""
    caller = new_caller()
    start = len(ami.events)
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=3000)
    assert await asyncio.to_thread(call.wait, 30) == 0
    hangup = await new_events_from(ami, start, "Hangup", lambda e: e.get("CallerIDNum") == caller)
    names = {e.get("Event") for e in ami.events[start:] if e.get("Uniqueid") == hangup["Uniqueid"]}
    assert {"Newchannel", "Newstate", "Hangup"} <= names, names
    assert not names & {"Newexten", "VarSet", "RTCPSent", "RTCPReceived"}, names


async def new_events_from(ami, start: int, name: str, predicate, timeout: float = 30):
    """The first `name` event after index `start` of the recording."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in ami.events[start:]:
            if event.get("Event") == name and predicate(event):
                return event
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {name} event after #{start} within {timeout}s")


async def hotline_call_routes_to(pbx, workdir, number: str) -> str:
    """Call 12345 from `number`; return where the dialplan sent it: the
    voice menu (yht-hotline) or the SOS line (yht-sos)."""
    call = place_call(pbx.settings.sip_port, "12345", number, workdir, hold_ms=2000)
    try:
        entered = await channel_at(
            pbx, number, lambda c: c["context"] in ("yht-hotline", "yht-sos"))  # fmt: skip
        return {"yht-hotline": "menu", "yht-sos": "sos"}[entered["context"]]
    finally:
        await asyncio.to_thread(call.wait, 40)


def in_astdb(pbx, number: str) -> bool:
    return "Value: 1" in pbx.cli(f"database get yht-sos {number}", check=False).stdout


async def test_a_one_time_sos_caller_routes_as_sos_only_once_a_shift_lead_confirms(
    pbx, agi_server, live_desk, ticketing_service, ami, workdir
):
    lead = ticketing_service.user("lead1", "shift_lead")
    stranger = new_caller()
    start = len(ami.events)
    sos = place_call(pbx.settings.sip_port, "12349", stranger, workdir, hold_ms=2000)
    # an emergency that time: the SOS queue and an emergency record
    joined = await new_events_from(ami, start, "QueueCallerJoin", is_caller(stranger))
    assert joined["Queue"] == "sos" and await asyncio.to_thread(sos.wait, 40) == 0
    record = await asyncio.to_thread(
        wait_until, lambda: _sos_record(ticketing_service, lead, joined["Uniqueid"]), 20,
        "the emergency record")  # fmt: skip
    assert record["follow_up"] is True
    elder_id = record["elder"]["id"]
    # a sync round after the record: a confirmed device registered now reaches AstDB
    marker = new_caller()
    profile = {"name": "标记", "numbers": [marker], "community": "幸福社区"}
    registered = await post(f"{ticketing_service.base}/elders", lead, profile)
    assert registered.status_code == 201
    await until(lambda: in_astdb(pbx, marker), 15, "the confirmed device in AstDB")
    assert not in_astdb(pbx, stranger)
    assert await hotline_call_routes_to(pbx, workdir, stranger) == "menu"
    # confirmed by a shift lead: from the next sync on it is an SOS device
    confirm = await post(f"{ticketing_service.base}/elders/{elder_id}/confirm", lead)
    assert confirm.status_code == 200
    await until(lambda: in_astdb(pbx, stranger), 15, "the confirmed number in AstDB")
    assert await hotline_call_routes_to(pbx, workdir, stranger) == "sos"
    # deactivated: it stops routing as SOS within the sync interval
    off = await post(f"{ticketing_service.base}/elders/{elder_id}/deactivate", lead)
    assert off.status_code == 200
    await until(lambda: not in_astdb(pbx, stranger), 15, "the number gone from AstDB")
    assert await hotline_call_routes_to(pbx, workdir, stranger) == "menu"
    await until(lambda: "No Callers" in pbx.cli("queue show sos").stdout, 10, "an empty SOS queue")


async def post(url: str, headers: dict, body: dict | None = None) -> httpx.Response:
    return await asyncio.to_thread(httpx.post, url, headers=headers, json=body)


def _sos_record(ticketing_service, headers: dict, call_id: str) -> dict | None:
    response = httpx.get(f"{ticketing_service.base}/sos-calls/{call_id}", headers=headers)
    return response.json() if response.status_code == 200 else None


def test_each_caller_has_its_own_credential(live_desk, ticketing_service, test_env):
    control = {"Authorization": f"Bearer {test_env['YHT_ACD_CONTROL_TOKEN']}"}
    service = {"Authorization": f"Bearer {test_env['YHT_ACD_SERVICE_TOKEN']}"}
    ivr = {"Authorization": f"Bearer {test_env['YHT_IVR_API_TOKEN']}"}
    acd_api = live_desk["acd_url"]
    # the bridge's key drives seats, and opens nothing in the work-order service
    assert httpx.get(f"{acd_api}/seats", headers=control).status_code == 200
    assert httpx.get(f"{ticketing_service.base}/elders/devices", headers=control).status_code == 401
    # the ACD's key reads device numbers there, and drives no seat
    assert httpx.get(f"{ticketing_service.base}/elders/devices", headers=service).status_code == 200
    assert httpx.post(f"{acd_api}/seats/1001/login", headers=service).status_code == 401
    # the IVR's key looks up progress only
    assert httpx.get(f"{ticketing_service.base}/elders/devices", headers=ivr).status_code == 403
    assert httpx.get(f"{acd_api}/seats", headers=ivr).status_code == 401


@pytest.fixture
def second_instance(test_env):
    """A second Asterisk instance of its own, to restart at will."""
    settings = PbxSettings(instance="restart-test", sip_port=free_port(),
                           ami_port=free_tcp_port(), agi_port=free_tcp_port(),
                           rtp_start=12000, rtp_end=12099, partner_port=free_port())  # fmt: skip
    instance = Pbx(settings)
    shutil.rmtree(instance.dir, ignore_errors=True)
    yield instance
    instance.stop()
    shutil.rmtree(instance.dir, ignore_errors=True)


def test_recordings_and_astdb_survive_a_restart(second_instance):
    pbx = second_instance
    pbx.start()
    assert "successfully" in pbx.cli("database put yht-sos 13900009999 1").stdout
    recording = pbx.dir / "spool" / "monitor" / "sos-1795000000123.wav"
    recording.parent.mkdir(parents=True, exist_ok=True)
    recording.write_bytes(b"RIFF-sos-recording")
    pbx.stop()
    pbx.start()  # renders the configuration again, as `make run` does
    assert recording.read_bytes() == b"RIFF-sos-recording"
    assert "Value: 1" in pbx.cli("database get yht-sos 13900009999").stdout
    assert os.stat(pbx.dir / "etc" / "extensions.conf").st_mtime > recording.stat().st_mtime


def _deactivate(ticketing_service, username: str) -> None:
    users = httpx.get(f"{ticketing_service.base}/users", headers=ticketing_service.admin).json()
    user_id = next(u["id"] for u in users if u["username"] == username)
    response = httpx.post(f"{ticketing_service.base}/users/{user_id}/deactivate",
                          headers=ticketing_service.admin)  # fmt: skip
    response.raise_for_status()


async def closed_with(page, code: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as closed:
        while time.monotonic() < deadline:
            await asyncio.wait_for(page.ws.recv(), deadline - time.monotonic())
    assert closed.value.rcvd is not None and closed.value.rcvd.code == code


async def test_a_deactivated_users_page_loses_seat_control(live_desk, ticketing_service):
    active = await open_page(live_desk["ws"], ticketing_service.user("gone2002", "agent",
                                                                     seat="2002"))  # fmt: skip
    idle = await open_page(live_desk["ws"], ticketing_service.user("idle2001", "agent",
                                                                   seat="2001"))  # fmt: skip
    try:
        await active.expect(lambda m: m["type"] == "snapshot")
        await idle.expect(lambda m: m["type"] == "snapshot")
        await asyncio.to_thread(_deactivate, ticketing_service, "gone2002")
        # the next command is checked again and refused: close 4401
        await active.send(type="login", ref="after")
        await closed_with(active, 4401)
        # a page that sends nothing is closed by the periodic re-check
        await asyncio.to_thread(_deactivate, ticketing_service, "idle2001")
        await closed_with(idle, 4401)
    finally:
        await active.ws.close()
        await idle.ws.close()


async def test_pages_from_another_origin_cannot_open_the_websocket(live_desk):
    with pytest.raises(InvalidStatus) as refused:
        await connect(live_desk["ws"], origin="http://evil.example")
    assert refused.value.response.status_code == 403
    own = await connect(live_desk["ws"], origin=live_desk["pages"])
    await own.close()
