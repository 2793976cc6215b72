"""Processes of our own that tests and benchmarks start and stop by pid: the
FastAGI server, a Redis with an append-only file, any `python -m` service;
the test instance's ports."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from testkit.waiting import free_port, free_tcp_port, stop_process, wait_until

REPO = Path(__file__).resolve().parent.parent


def _test_ports() -> dict[str, str]:
    """The test instance's ports, taken free for each test session: a test
    never talks to whatever else answers on a fixed port (a `make run` or a
    second suite on the same machine)."""
    sip, partner = free_port(), free_port()  # UDP
    tcp = [free_tcp_port() for _ in range(8)]
    ami, agi, ticketing, acd, bridge, captions, captions_http, http = tcp
    return {
        "YHT_PBX_INSTANCE": "test",
        "YHT_PBX_SIP_PORT": str(sip),
        "YHT_PBX_AMI_PORT": str(ami),
        "YHT_PBX_HTTP_PORT": str(http),
        "YHT_PBX_AGI_PORT": str(agi),
        "YHT_PBX_RTP_START": "11000",
        "YHT_PBX_RTP_END": "11999",
        "YHT_PBX_PARTNER_PORT": str(partner),
        "YHT_PBX_QUALIFY_SECONDS": "5",
        # the SOS line: seats ring this long before 120 is called (15 s in service)
        "YHT_PBX_SOS_ANSWER_S": "6",
        # 12349 is the default policy's line (automatic 120 for confirmed devices
        # only); 12350 is a line on which any caller gets it
        "YHT_PBX_SOS_NUMBERS": "12349,12350",
        "YHT_PBX_SOS_ANYONE_120": "12350",
        # seat 1001 is a static member (call-path tests); the others log in through the ACD
        "YHT_PBX_STATIC_MEMBERS": "1001",
        # a hang-up after 3 s unanswered is a missed call (10 s in service)
        "YHT_PBX_MENU_MISSED_S": "3",
        # a repeat caller counts as having waited this much longer (30 s in service)
        "YHT_PBX_REPEAT_BOOST_S": "3",
        # outside calls (not 110/119/120/122): one per seat at a time
        "YHT_PBX_OUT_MAX_PER_SEAT": "1",
        "YHT_PBX_OUT_MAX_TOTAL": "4",
        "YHT_TICKETING_PORT": str(ticketing),
        "YHT_TICKETING_DESK_ORIGINS": f"http://127.0.0.1:{bridge}",
        "YHT_AGI_TICKETING_URL": f"http://127.0.0.1:{ticketing}",
        "YHT_ACD_HTTP_PORT": str(acd),
        "YHT_BRIDGE_PORT": str(bridge),
        "YHT_CAPTIONS_PORT": str(captions),
        "YHT_CAPTIONS_HTTP_PORT": str(captions_http),
    }


TEST_PORTS = _test_ports()


class ChildProcess:
    """A process of ours, stopped by its pid: stop() asks, kill() is kill -9."""

    proc: subprocess.Popen | None = None

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def kill(self) -> None:
        """kill -9: no clean-up, no goodbye, work in flight included."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class AgiServerProcess(ChildProcess):
    """`python -m agi` as a child process, with its log captured."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.env = env
        self.log_path = Path(tempfile.mkstemp(prefix="yht-agi-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        started = self.log().count("FastAGI listening")  # the log is kept across restarts
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agi"], cwd=REPO, stdout=log, stderr=log,
            env={**os.environ, **self.env, "YHT_AGI_PORT": str(self.port)},
        )  # fmt: skip
        wait_until(lambda: self.log().count("FastAGI listening") > started, 15,
                   "the FastAGI server")  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def call_lines(self) -> list[str]:
        return [line for line in self.log().splitlines() if " agi.calls " in line]


@dataclass
class RedisServer:
    """A redis-server of the test's own with an append-only file (fsync on
    every write), like the project's durable Redis; kill() is kill -9.
    persistent=False: nothing on disk, like the machine's live-state Redis."""

    workdir: Path
    port: int = 0
    proc: subprocess.Popen | None = None
    persistent: bool = True

    def start(self) -> None:
        self.port = self.port or free_tcp_port()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", str(self.workdir), "--appendonly", "yes" if self.persistent else "no",
             "--appendfsync", "always",
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


def drop_live_keys(prefix: str, url: str = "redis://127.0.0.1:6379/0") -> None:
    """What a test's services wrote to the live-state Redis under its prefix."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class ServiceProcess(ChildProcess):
    """`python -m <module>` with its log in a file, ready when `probe` answers."""

    def __init__(self, module: str, env: dict[str, str], log: Path, probe: str) -> None:
        self.module, self.env, self.log, self.probe = module, env, log, probe
        self.proc: subprocess.Popen | None = None
        self._ready_lines = 0

    def start(self) -> None:
        self._ready_lines = self._log_count()  # the log is kept across restarts
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", self.module], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        wait_until(self._up, 30, f"{self.module} to answer")

    def _log_count(self) -> int:
        if not self.probe.startswith("log:") or not self.log.exists():
            return 0
        return self.log.read_text(errors="replace").count(self.probe.removeprefix("log:"))

    def _up(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.module} exited: {self.log.read_text()[-2000:]}")
        if self.probe.startswith("log:"):  # a line the process logs once ready
            return self._log_count() > self._ready_lines
        try:
            if self.probe.startswith("http"):
                return httpx.get(self.probe, timeout=1).status_code == 200
            host, port = self.probe.split(":")
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except (httpx.HTTPError, OSError):
            return False


class PostgresServer:
    """A PostgreSQL server of the test's own (initdb in a fresh directory, a
    free port, trust on loopback), run as the `postgres` account when the
    test runs as root; stop() is a fast shutdown, start() starts it again on
    the same data."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL server binaries missing: run `make setup`")
        self.bin = found[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="yht-pg-"))
        self.port = free_tcp_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)
        subprocess.run([str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                        "-U", "postgres", "-E", "UTF8", "--no-sync"],
                       user=self.user, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.dir / "data"), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
             "-c", "fsync=off"],
            user=self.user, stdout=subprocess.DEVNULL, stderr=open(self.dir / "log", "ab"),
        )  # fmt: skip
        wait_until(self._answers, 30, f"PostgreSQL on port {self.port}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:  # fmt: skip
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres "
                                 "dbname=postgres connect_timeout=1"):  # fmt: skip
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        """A fast shutdown (SIGINT): clients are cut off, the data stays."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=30)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
