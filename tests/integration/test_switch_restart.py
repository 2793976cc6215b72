"""The switch dies and comes back (issue 28, item 10): `make run`'s supervisor
starts a killed Asterisk again while the FastAGI server and the ACD ride
through, and a registered seat is ringable within 3 s of FullyBooted, by
Asterisk's own event times. An instance of its own (ports, AstDB, phones
qualified every 60 s as a center would): the suite's instance never stops."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import pytest

from scripts import secrets
from scripts.pbx import Pbx, PbxSettings, agent_password
from scripts.processes import ProcessSupervisor
from testkit.ami import AmiRecorder
from testkit.services import REPO, RedisServer, drop_live_keys
from testkit.sipp import SippAgent, place_call
from testkit.waiting import free_port, free_tcp_port, until, wait_until

pytestmark = pytest.mark.asyncio


def _service(module: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", module], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip


async def test_a_killed_switch_is_started_again_and_its_seats_ring_at_once(tmp_path):
    settings = PbxSettings(
        instance=f"restart{os.getpid()}", sip_port=free_port(), partner_port=free_port(),
        ami_port=free_tcp_port(), http_port=free_tcp_port(), agi_port=free_tcp_port(),
        rtp_start=12000, rtp_end=12199, agents="1001", static_members="all",
        qualify_seconds=60, menu_missed_s=3,
    )  # fmt: skip
    pbx = Pbx(settings)
    shutil.rmtree(pbx.dir, ignore_errors=True)
    outbox = RedisServer(tmp_path / "outbox")
    outbox.start()
    prefix = f"yht:test-restart:{os.getpid()}"
    env = {**os.environ, **secrets.as_env(), "YHT_PBX_AMI_PORT": str(settings.ami_port),
           "YHT_AGI_PORT": str(settings.agi_port), "YHT_AGI_METRICS_PORT": str(free_tcp_port()),
           "YHT_AGI_TICKETING_URL": f"http://127.0.0.1:{free_tcp_port()}",
           "YHT_ACD_HTTP_PORT": str(free_tcp_port()), "YHT_ACD_REDIS_PREFIX": prefix,
           "YHT_ACD_OUTBOX_REDIS_URL": outbox.url,
           "YHT_ACD_TICKETING_URL": f"http://127.0.0.1:{free_tcp_port()}"}  # fmt: skip
    supervisor = ProcessSupervisor()
    workdir = Path(tempfile.mkdtemp(prefix="yht-restart-"))
    phone = SippAgent("1001", agent_password("1001"), free_port(), settings.sip_port, workdir)
    observer = AmiRecorder("127.0.0.1", settings.ami_port, settings.ami_observer,
                           pbx.ami_observer_secret)  # fmt: skip
    try:
        agi = supervisor.add("FastAGI server", partial(_service, "agi", env, tmp_path / "agi.log"))
        acd = supervisor.add("ACD controller", partial(_service, "acd", env, tmp_path / "acd.log"))
        switch = supervisor.add("Asterisk", pbx.start, lambda _p: pbx.stop())
        phone.start()
        wait_until(lambda: "Avail" in pbx.cli("pjsip show contacts", check=False).stdout, 20,
                   "seat 1001's phone to be qualified")  # fmt: skip
        await observer.connect()
        wait_until(lambda: "resynced" in _acd_log(tmp_path), 30, "the ACD's first resync")
        # AstDB commits its writes a moment after they are made: what a
        # restarted Asterisk has is the registration once it is on disk
        await until(lambda: _registration_on_disk(pbx, "agent1001"), 10,
                    "seat 1001's registration in AstDB")  # fmt: skip
        before = {"agi": agi.process.pid, "acd": acd.process.pid, "asterisk": switch.process.pid}

        switch.process.kill()  # kill -9: no goodbye to anyone
        killed_at = time.time()
        observer.close()
        wait_until(lambda: (supervisor.check() or True) and switch.restarts == 1
                   and switch.process is not None and switch.process.poll() is None, 60,
                   "the supervisor to start Asterisk again")  # fmt: skip
        observer = AmiRecorder("127.0.0.1", settings.ami_port, settings.ami_observer,
                               pbx.ami_observer_secret)  # fmt: skip
        await observer.connect()
        assert switch.last_exit == -9
        assert switch.process.pid != before["asterisk"]
        # the others rode through: the same processes, never restarted
        supervisor.check()
        assert agi.process.pid == before["agi"] and agi.restarts == 0
        assert acd.process.pid == before["acd"] and acd.restarts == 0
        # the end of the boot by Asterisk's own clock: its log's "Asterisk
        # Ready." (FullyBooted is raised with it; a session that logs in later
        # is told without the time)
        booted = _ready_at(pbx)
        assert booted > killed_at
        call = place_call(settings.sip_port, "12345", "13800000001", workdir, hold_ms=3000)
        rung = await observer.wait_for(
            "AgentCalled", lambda e: e.get("Interface") == "PJSIP/agent1001"
            and float(e.get("Timestamp", 0)) > killed_at, timeout=40)  # fmt: skip
        ringable_s = float(rung["Timestamp"]) - booted
        print(f"seat rung {ringable_s:.2f} s after FullyBooted")
        assert ringable_s <= 3.0, f"the seat was rung {ringable_s:.1f} s after FullyBooted"
        assert "qualified" in _acd_log(tmp_path)
        assert await call.finished(30) == 0
    finally:
        observer.close()
        if switch_alive(pbx):
            phone.register(expires=0)
        phone.stop()
        supervisor.stop()
        outbox.stop()
        drop_live_keys(prefix)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(pbx.dir, ignore_errors=True)


def _ready_at(pbx: Pbx) -> float:
    """The epoch time of the last "Asterisk Ready." in the instance's log
    (logger.conf dateformat %F %T.%3q, the chroot's zone is UTC)."""
    lines = [line for line in pbx.log_file.read_text(errors="replace").splitlines()
             if line.endswith("Asterisk Ready.")]  # fmt: skip
    stamp = lines[-1][1 : lines[-1].index("]")]
    return dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC).timestamp()


def _registration_on_disk(pbx: Pbx, endpoint: str) -> bool:
    """A committed registrar contact of the endpoint in the AstDB file."""
    path = pbx.dir / "lib" / "astdb.sqlite3"
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            rows = db.execute("SELECT key FROM astdb WHERE key LIKE ?",
                              (f"/registrar/contact/{endpoint};%",)).fetchall()  # fmt: skip
    except sqlite3.Error:
        return False
    return bool(rows)


def _acd_log(tmp_path: Path) -> str:
    path = tmp_path / "acd.log"
    return path.read_text(errors="replace") if path.exists() else ""


def switch_alive(pbx: Pbx) -> bool:
    return pbx.process is not None and pbx.process.poll() is None
