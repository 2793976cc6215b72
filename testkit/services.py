"""Processes of our own that tests and benchmarks start and stop by pid: the
FastAGI server, a Redis with an append-only file, any `python -m` service;
the test instance's ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from testkit.waiting import free_tcp_port, stop_process, wait_until

REPO = Path(__file__).resolve().parent.parent

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
    # a hang-up after 3 s in the voice menu is a missed call (10 s in service)
    "YHT_PBX_MENU_MISSED_S": "3",
    # outside calls (not 110/119/120/122): one per seat at a time
    "YHT_PBX_OUT_MAX_PER_SEAT": "1",
    "YHT_PBX_OUT_MAX_TOTAL": "4",
    "YHT_TICKETING_PORT": "18080",
    "YHT_TICKETING_DESK_ORIGINS": "http://127.0.0.1:18092",
    "YHT_AGI_TICKETING_URL": "http://127.0.0.1:18080",
}


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


class ServiceProcess:
    """`python -m <module>` with its log in a file, ready when `probe` answers."""

    def __init__(self, module: str, env: dict[str, str], log: Path, probe: str) -> None:
        self.module, self.env, self.log, self.probe = module, env, log, probe
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", self.module], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        wait_until(self._up, 30, f"{self.module} to answer")

    def _up(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.module} exited: {self.log.read_text()[-2000:]}")
        try:
            if self.probe.startswith("http"):
                return httpx.get(self.probe, timeout=1).status_code == 200
            host, port = self.probe.split(":")
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except (httpx.HTTPError, OSError):
            return False

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def kill(self) -> None:
        """kill -9: no clean-up, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
