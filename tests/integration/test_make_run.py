"""`make run` itself (scripts/run.py), on ports and an instance of its own
(issue 28 items 10, 15, 16): it comes up without a traceback, a 503 or a
failed SOS device sync in its output; a kill -9 of Asterisk is followed by
a new Asterisk while every service goes on; Ctrl-C stops everything it
started, its own durable outbox Redis included (no daemon left behind)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from testkit.services import REPO, _test_ports
from testkit.waiting import free_tcp_port, wait_until


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_comes_up_quietly_survives_its_switch_and_stops_all_it_started(tmp_path):
    ports = _test_ports()
    outbox_port = free_tcp_port()
    instance = f"run{os.getpid()}"
    env = {**os.environ, **ports, "YHT_PBX_INSTANCE": instance,
           "YHT_PBX_STATIC_MEMBERS": "all", "YHT_PBX_RTP_START": "12200",
           "YHT_PBX_RTP_END": "12399",
           "YHT_RUN_OUTBOX_PORT": str(outbox_port),
           "YHT_TICKETING_DATABASE_URL": f"sqlite:///{tmp_path / 'tickets.db'}",
           "YHT_BRIDGE_ACD_URL": f"http://127.0.0.1:{ports['YHT_ACD_HTTP_PORT']}",
           "YHT_BRIDGE_TICKETING_URL": ports["YHT_AGI_TICKETING_URL"],
           "YHT_ACD_TICKETING_URL": ports["YHT_AGI_TICKETING_URL"],
           "YHT_ASR_TICKETING_URL": ports["YHT_AGI_TICKETING_URL"],
           "YHT_ACD_REDIS_PREFIX": f"yht:test-run:{os.getpid()}",
           "YHT_BRIDGE_ACD_PREFIX": f"yht:test-run:{os.getpid()}",
           "YHT_ASR_METRICS_PORT": str(free_tcp_port()),
           "YHT_AGI_METRICS_PORT": str(free_tcp_port()),
           "YHT_TICKETING_INGEST_METRICS_PORT": str(free_tcp_port())}  # fmt: skip
    output = tmp_path / "run.log"
    with open(output, "wb") as out:
        run = subprocess.Popen([sys.executable, "-m", "scripts.run"], cwd=REPO, env=env,
                               stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    from scripts.pbx import Pbx, PbxSettings

    pbx = Pbx(PbxSettings(instance=instance))
    pid_file = pbx.dir / "run" / "asterisk.pid"

    def log() -> str:
        return output.read_text(errors="replace")

    try:
        wait_until(lambda: run.poll() is None and "Yihaotong is up" in log(), 120,
                   "make run to be up")  # fmt: skip
        assert _answers(outbox_port)
        api = ports["YHT_AGI_TICKETING_URL"]
        wait_until(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 30,
                   "the work-order API")  # fmt: skip
        acd = f"http://127.0.0.1:{ports['YHT_ACD_HTTP_PORT']}/health"
        wait_until(lambda: httpx.get(acd, timeout=2).status_code == 200, 30, "the ACD")
        # what the services print in their first seconds counts too: the
        # last of them to be ready is the transcription worker
        wait_until(lambda: "transcription worker" in log() and " ready" in log(), 60,
                   "the transcription worker")  # fmt: skip
        started = log()
        for noise in ("Traceback", "SOS device sync failed", '" 503', "no such table"):
            assert noise not in started, f"{noise!r} in make run's output:\n{started[-3000:]}"

        first = int(pid_file.read_text().strip())
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: pid_file.exists() and pid_file.read_text().strip().isdigit()
                   and int(pid_file.read_text().strip()) != first
                   and "Asterisk exited (code -9)" in log(), 60,
                   "a new Asterisk")  # fmt: skip
        assert run.poll() is None  # make run went on
        wait_until(lambda: pbx.cli("core waitfullybooted", check=False).returncode == 0, 30,
                   "the new Asterisk to boot")  # fmt: skip
        assert httpx.get(f"{api}/health", timeout=2).status_code == 200
        assert "exited; restarting" not in log() and "work-order API exited" not in log()
    finally:
        second = pid_file.read_text().strip() if pid_file.exists() else ""
        run.send_signal(signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
        shutil.rmtree(pbx.dir, ignore_errors=True)
    # everything it started is gone: the outbox Redis, Asterisk, the services
    assert not _answers(outbox_port), "make run left its outbox Redis running"
    if second.isdigit():
        assert not Path(f"/proc/{second}").exists(), "make run left Asterisk running"
    for name in ("YHT_TICKETING_PORT", "YHT_ACD_HTTP_PORT", "YHT_BRIDGE_PORT"):
        assert not _answers(int(ports[name])), f"{name}: a service still listens"
