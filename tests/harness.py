"""Real peers for the integration tests: sipp phones, the FastAGI server, AMI.

Everything started here is stopped by its process id; nothing is found or
killed by name.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from panoramisk import Manager

from tests.dtmf import DtmfStream

REPO = Path(__file__).resolve().parent.parent
SIPP_DIR = REPO / "tests" / "sipp"

# The test instance's ports: apart from `make run`'s, so both can run at once.
TEST_PORTS = {
    "YHT_PBX_INSTANCE": "test",
    "YHT_PBX_SIP_PORT": "15060",
    "YHT_PBX_AMI_PORT": "15038",
    "YHT_PBX_AGI_PORT": "14573",
    "YHT_PBX_RTP_START": "11000",
    "YHT_PBX_RTP_END": "11999",
    "YHT_PBX_PARTNER_PORT": "15090",
    "YHT_PBX_QUALIFY_SECONDS": "5",
    # the SOS line: seats ring this long before 120 is called (15 s in service)
    "YHT_PBX_SOS_ANSWER_S": "6",
    # seat 1001 is a static member (call-path tests); the others log in through the ACD
    "YHT_PBX_STATIC_MEMBERS": "1001",
    # outside calls (not 110/119/120/122): one per seat at a time
    "YHT_PBX_OUT_MAX_PER_SEAT": "1",
    "YHT_PBX_OUT_MAX_TOTAL": "4",
    "YHT_TICKETING_PORT": "18080",
    "YHT_TICKETING_DESK_ORIGINS": "http://127.0.0.1:18092",
    "YHT_AGI_TICKETING_URL": "http://127.0.0.1:18080",
}


def wait_until(condition: Callable[[], object], timeout: float, what: str, step: float = 0.1):
    """Poll until condition() is truthy; return its value or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


# ------------------------------------------------------------------- FastAGI
class AgiServerProcess:
    """`python -m agi` as a child process, with its log captured."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.env = env
        self.log_path = Path(tempfile.mkstemp(prefix="yht-agi-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agi"], cwd=REPO, stdout=log, stderr=log,
            env={**os.environ, **self.env, "YHT_AGI_PORT": str(self.port)},
        )  # fmt: skip
        wait_until(lambda: "FastAGI listening" in self.log(), 15, "the FastAGI server")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def call_lines(self) -> list[str]:
        return [line for line in self.log().splitlines() if " agi.calls " in line]


# ---------------------------------------------------------------------- sipp
@dataclass
class SippAgent:
    """A seat's phone: a sipp UAS answering calls, registered as agent<id>."""

    agent_id: str
    password: str
    port: int
    sip_port: int
    workdir: Path
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["sipp", "-sf", str(SIPP_DIR / "agent_answer.xml"), "-i", "127.0.0.1",
             "-p", str(self.port), "-mp", str(self.port + 1000), "-nostdin",
             "-trace_logs", "-log_file", str(self.log_path),
             f"127.0.0.1:{self.sip_port}"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.register()

    @property
    def log_path(self) -> Path:
        return self.workdir / f"agent{self.agent_id}.log"

    def register(self, expires: int = 3600) -> None:
        result = subprocess.run(
            ["sipp", "-sf", str(SIPP_DIR / "agent_register.xml"), "-i", "127.0.0.1",
             "-p", str(free_port()),
             "-s", f"agent{self.agent_id}", "-au", f"agent{self.agent_id}", "-ap", self.password,
             "-key", "contact_port", str(self.port), "-key", "expires", str(expires),
             "-m", "1", "-timeout", "10", "-timeout_error", "-nostdin",
             f"127.0.0.1:{self.sip_port}"],
            cwd=self.workdir, capture_output=True, timeout=20,
        )  # fmt: skip
        if result.returncode != 0:
            raise AssertionError(
                f"agent{self.agent_id} failed to register (sipp {result.returncode})"
            )

    def invites(self) -> list[dict[str, str]]:
        """Work-order headers of each INVITE this phone received."""
        if not self.log_path.exists():
            return []
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("INVITE "):
                # sipp keeps the space after the header's colon
                pairs = re.findall(r"(\w+)=\s*(\S*)", line)
                found.append({k: urllib.parse.unquote(v) for k, v in pairs})
        return found

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


@dataclass
class SippCenter:
    """An outside party on the partner trunk (the 120 center in the tests):
    answers every call (agent_answer.xml) or refuses each one busy."""

    port: int
    workdir: Path
    busy: bool = False
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        scenario = "center_busy.xml" if self.busy else "agent_answer.xml"
        self.proc = subprocess.Popen(
            ["sipp", "-sf", str(SIPP_DIR / scenario), "-i", "127.0.0.1", "-p", str(self.port),
             "-mp", str(self.port + 1000), "-nostdin", "-trace_logs",
             "-log_file", str(self.log_path)],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    @property
    def log_path(self) -> Path:
        return self.workdir / f"center-{self.port}-{'busy' if self.busy else 'answer'}.log"

    def invites(self, dialled: str = "") -> int:
        """INVITEs received, or those for one dialled number."""
        if not self.log_path.exists():
            return 0
        wanted = f"sip:{dialled}@" if dialled else ""
        return sum(1 for line in self.log_path.read_text(errors="replace").splitlines()
                   if line.startswith("INVITE") and wanted in line)  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


@dataclass
class CitizenCall:
    """One sipp call from a citizen; wait() returns sipp's exit code."""

    proc: subprocess.Popen
    scenario: Path

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process(self.proc)
            raise

    def stop(self) -> None:
        stop_process(self.proc)


GROUP_GAP_MS = 1500  # between groups ("1,20261125000001#": the menu key, then the number)


def citizen_scenario(workdir: Path, dtmf: str | None, dtmf_delay_ms: int) -> Path:
    """citizen_call.xml made concrete: sipp substitutes no keywords inside
    <pause> or <exec>, so the key presses are written in (or left out).
    `dtmf` is one key, a run of keys, or comma-separated groups of keys; each
    group is one RFC 2833 pcap (tests/dtmf.py), played after a pause."""
    source = (SIPP_DIR / "citizen_call.xml").read_text()
    block = re.search(r"<pause milliseconds=\"\[dtmf_delay\]\"/>\s*<nop>.*?</nop>", source, re.S)
    assert block is not None
    stream = DtmfStream()
    presses = []
    for number, group in enumerate(dtmf.split(",") if dtmf else []):
        pcap = stream.write(group, Path(tempfile.mkstemp(suffix=".pcap", dir=workdir)[1]))
        delay = dtmf_delay_ms if number == 0 else GROUP_GAP_MS
        presses.append(block.group(0).replace("[dtmf_delay]", str(delay))
                       .replace("[dtmf_pcap]", str(pcap)))  # fmt: skip
    text = source.replace(block.group(0), "\n  ".join(presses))
    target = Path(tempfile.mkstemp(prefix="citizen-", suffix=".xml", dir=workdir)[1])
    target.write_text(text)
    return target


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def place_call(
    sip_port: int,
    number: str,
    caller: str,
    workdir: Path,
    hold_ms: int,
    dtmf: str | None = None,
    dtmf_delay_ms: int = 1500,
    scenario: str | None = None,
) -> CitizenCall:
    if scenario is not None:
        path = SIPP_DIR / scenario
    else:
        path = citizen_scenario(workdir, dtmf, dtmf_delay_ms)
    args = ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(free_port()),
            "-mp", str(free_port()), "-s", number, "-key", "caller", caller,
            "-d", str(hold_ms), "-m", "1", "-timeout", "120", "-timeout_error", "-nostdin",
            f"127.0.0.1:{sip_port}"]  # fmt: skip
    proc = subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return CitizenCall(proc, path)


# ----------------------------------------------------------------------- AMI
def chan_vars(event, prefix: str = "ChanVariable") -> dict[str, str]:
    """An AMI event's ChanVariable (or DestChanVariable) headers as a dict."""
    raw = event.get(prefix) or []
    if isinstance(raw, str):
        raw = [raw]
    return dict(item.split("=", 1) for item in raw if "=" in item)


@dataclass
class AmiRecorder:
    """Records every AMI event so a test can wait for the one it expects."""

    host: str
    port: int
    username: str
    secret: str
    events: list = field(default_factory=list)
    manager: Manager | None = None

    async def connect(self) -> None:
        self.manager = Manager(
            loop=asyncio.get_running_loop(), host=self.host, port=self.port,
            username=self.username, secret=self.secret, ping_delay=60,
        )  # fmt: skip
        self.manager.register_event("*", self._record)
        await self.manager.connect()
        deadline = time.monotonic() + 10
        while not self.manager.authenticated:
            if time.monotonic() > deadline:
                raise AssertionError("AMI login failed")
            await asyncio.sleep(0.05)

    def _record(self, manager, event) -> None:
        self.events.append(event)

    async def wait_for(self, name: str, predicate=lambda e: True, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.events):
                if event.get("Event") == name and predicate(event):
                    return event
            await asyncio.sleep(0.05)
        raise AssertionError(f"no AMI {name} event matching within {timeout}s")

    async def action(self, **fields):
        assert self.manager is not None
        return await self.manager.send_action(fields)

    def close(self) -> None:
        if self.manager is not None:
            self.manager.close()


# --------------------------------------------------------------------- Redis
@dataclass
class RedisServer:
    """A redis-server of the test's own with an append-only file (fsync on
    every write), like the project's durable Redis; kill() is kill -9."""

    workdir: Path
    port: int = 0
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.port = self.port or free_tcp_port()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.workdir), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--daemonize", "no", "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, 10, f"redis-server on port {self.port}")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """kill -9: nothing is flushed beyond what the append-only file has."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
