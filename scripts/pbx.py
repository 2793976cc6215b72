"""Render asterisk-config/ for one Asterisk instance and run it under chroot.

An instance is a directory inside the cached Debian-unstable root filesystem
(`/srv/yht/<name>` as Asterisk sees it) holding the rendered configuration,
prompts, logs and control socket. `make run` uses the instance "run"; the test
suite uses "test" on other ports, so both can share one machine.

    python -m scripts.pbx render        # write the instance, print its path
    python -m scripts.pbx start         # render and run Asterisk in the foreground
    python -m scripts.pbx cli "pjsip show endpoints"
    python -m scripts.pbx agent-password 1001
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ivr.menu import load_menu
from ivr.render import musiconhold_sections, queue_keys
from scripts import secrets
from scripts.pbx_account import give_to_asterisk
from scripts.pbx_data import hotline_extensions, install_agi_scripts, install_data
from yht.dialling import OutboundRule

REPO = Path(__file__).resolve().parent.parent
CONFIG_SRC = REPO / "asterisk-config"
ROOTFS_SCRIPT = REPO / "scripts" / "asterisk-rootfs.sh"


class PbxSettings(BaseSettings):
    """Every value the rendered configuration takes (environment: YHT_PBX_*)."""

    model_config = SettingsConfigDict(env_prefix="YHT_PBX_")

    instance: str = "run"
    bind_addr: str = "127.0.0.1"
    sip_port: int = 5060
    # AMI has its own address: loopback, whatever SIP listens on
    ami_bind_addr: str = "127.0.0.1"
    ami_port: int = 5038
    # Asterisk's own HTTP server: only /metrics (res_prometheus), on loopback
    http_port: int = 8088
    ami_user: str = "yht-acd"
    # read-only AMI user for tests, benchmarks and monitoring
    ami_observer: str = "yht-observer"
    # the live-caption service (recordings/captions): AgentConnect, Originate
    ami_captions: str = "yht-captions"
    ami_permit: str = "127.0.0.1/255.255.255.255"
    rtp_start: int = 10000
    rtp_end: int = 10999
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    # seats: agent endpoints agent<id>, static queue members until the ACD exists
    agents: str = "1001,1002,1003,1004"
    # seats that are static queue members (always offered calls); "all" or a
    # list. The others join the queues when they log in through the ACD.
    static_members: str = "all"
    hotlines: str = "12345,96010,89000,61696156"
    # the SOS line of the elderly one-key phones (12349: elderly-care hotline)
    sos_numbers: str = "12349"
    # seconds the seats ring for an SOS call before 120 is called in
    sos_answer_s: int = 15
    # SOS numbers on which *any* caller gets 120 when no seat answers in
    # time; on the others only a confirmed device does, and an unknown caller
    # keeps ringing the seats first in line with the lead alarmed (issue 28
    # item 13: 12349 is a home-care line in many cities). Comma-separated.
    sos_anyone_120: str = ""
    sos_center: str = "120"
    # one attempt to an outside party (120, 110), how many, and the gap
    conf_dial_s: int = 30
    conf_dial_tries: int = 5
    conf_retry_gap_s: int = 2
    citizen_trunk_match: str = "127.0.0.1"
    partner_host: str = "127.0.0.1"
    partner_port: int = 5090
    # numbers dialled on the partner trunk beyond the national patterns
    # (yht.dialling): a department's hotline, say; comma-separated
    partner_numbers: str = ""
    # what an outside party (120, 110) sees as caller id: "caller" (the
    # elder's number on an SOS call) or "center" (center_number always)
    out_cid_mode: str = "caller"
    center_number: str = "12345"
    # concurrent outside calls (not 110/119/120/122) per seat and in total
    out_max_per_seat: int = 2
    out_max_total: int = 30
    qualify_seconds: int = 30
    queue_timeout: int = 300
    # a repeat caller (ivr/menu.yaml repeat_caller) joins the queue as if it
    # had called this many seconds earlier: ahead of callers who have waited
    # less, never of one who has waited longer (issue 28 item 14)
    repeat_boost_s: int = Field(default=30, ge=0, le=600)
    # seconds in the voice menu after which a hang-up is a missed call
    menu_missed_s: int = 10
    wrapup_seconds: int = 0
    # add asterisk-config/bench/ (benchmark-only dialplan)
    bench: bool = False

    @property
    def agent_ids(self) -> list[str]:
        return [a.strip() for a in self.agents.split(",") if a.strip()]

    @property
    def static_member_ids(self) -> list[str]:
        if self.static_members.strip() == "all":
            return self.agent_ids
        return [a.strip() for a in self.static_members.split(",") if a.strip()]

    @property
    def hotline_numbers(self) -> list[str]:
        return [h.strip() for h in self.hotlines.split(",") if h.strip()]

    @property
    def sos_number_list(self) -> list[str]:
        return [h.strip() for h in self.sos_numbers.split(",") if h.strip()]

    @model_validator(mode="after")
    def _anyone_120_on_sos_numbers(self) -> PbxSettings:
        strays = [n for n in self.sos_anyone_120_list if n not in self.sos_number_list]
        if strays:
            raise ValueError(
                f"YHT_PBX_SOS_ANYONE_120 lists {', '.join(strays)}, which are not SOS numbers"
                f" (YHT_PBX_SOS_NUMBERS={self.sos_numbers})"
            )
        return self

    @property
    def sos_anyone_120_list(self) -> list[str]:
        return [n.strip() for n in self.sos_anyone_120.split(",") if n.strip()]


def rootfs() -> Path:
    """Path of the cached Asterisk root filesystem, building it on first use."""
    out = subprocess.run(
        ["bash", str(ROOTFS_SCRIPT)], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def agent_password(agent_id: str) -> str:
    """Each seat's SIP password, derived from the local secret (never in git)."""
    seed = secrets.get("YHT_AGENT_PASSWORD_SEED").encode()
    return hmac.new(seed, agent_id.encode(), hashlib.sha256).hexdigest()[:20]


class Pbx:
    """One Asterisk instance: its files, its process, its CLI."""

    def __init__(self, settings: PbxSettings | None = None) -> None:
        self.settings = settings or PbxSettings()
        self.rootfs = rootfs()
        self.inner_dir = f"/srv/yht/{self.settings.instance}"
        self.dir = self.rootfs / self.inner_dir.lstrip("/")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ami_secret(self) -> str:
        return secrets.get("YHT_AMI_SECRET")

    @property
    def ami_observer_secret(self) -> str:
        return secrets.get("YHT_AMI_OBSERVER_SECRET")

    @property
    def ami_captions_secret(self) -> str:
        return secrets.get("YHT_AMI_CAPTIONS_SECRET")

    @property
    def log_file(self) -> Path:
        return self.dir / "log" / "messages.log"

    # ------------------------------------------------------------ rendering
    def values(self) -> dict[str, str]:
        s, menu = self.settings, load_menu()
        return {
            "INSTANCE_DIR": self.inner_dir,
            "MODULE_DIR": self._module_dir(),
            "BIND_ADDR": s.bind_addr,
            "SIP_PORT": str(s.sip_port),
            "AMI_BIND_ADDR": s.ami_bind_addr,
            "HTTP_PORT": str(s.http_port),
            "AMI_PORT": str(s.ami_port),
            "AMI_USER": s.ami_user,
            "AMI_SECRET": self.ami_secret,
            "AMI_OBSERVER": s.ami_observer,
            "AMI_OBSERVER_SECRET": self.ami_observer_secret,
            "AMI_CAPTIONS": s.ami_captions,
            "AMI_CAPTIONS_SECRET": self.ami_captions_secret,
            "OUTBOUND_ALLOWED": OutboundRule.from_setting(s.partner_numbers).dialplan("NoOp()"),
            "OUT_MAX_PER_SEAT": str(s.out_max_per_seat),
            "OUT_CID_MODE": s.out_cid_mode,
            "CENTER_NUMBER": "".join(c for c in s.center_number if c.isdigit()),
            "OUT_MAX_TOTAL": str(s.out_max_total),
            "AMI_PERMIT": s.ami_permit,
            "RTP_START": str(s.rtp_start),
            "RTP_END": str(s.rtp_end),
            "AGI_HOST": s.agi_host,
            "AGI_PORT": str(s.agi_port),
            "CITIZEN_TRUNK_MATCH": s.citizen_trunk_match,
            "PARTNER_HOST": s.partner_host,
            "PARTNER_PORT": str(s.partner_port),
            "QUALIFY_SECONDS": str(s.qualify_seconds),
            "QUEUE_TIMEOUT": str(s.queue_timeout),
            "REPEAT_BOOST_S": str(s.repeat_boost_s),
            "MENU_MISSED_S": str(s.menu_missed_s),
            "QUEUE_KEYS": queue_keys(menu),
            "WAIT_CLASSES": musiconhold_sections(menu),
            "WRAPUP_SECONDS": str(s.wrapup_seconds),
            "HOTLINE_MEMBERS": "\n".join(
                f"member => PJSIP/agent{a},0,agent{a}" for a in s.static_member_ids
            ),
            "SOS_MEMBERS": "\n".join(
                f"member => PJSIP/agent{a},0,agent{a}" for a in s.static_member_ids
            ),
            "SOS_ANSWER_S": str(s.sos_answer_s),
            "SOS_CENTER": s.sos_center,
            "SOS_ANYONE_120": "|" + "|".join(s.sos_anyone_120_list) + "|"
            if s.sos_anyone_120_list
            else "",
            "CONF_DIAL_S": str(s.conf_dial_s),
            "CONF_DIAL_TRIES": str(s.conf_dial_tries),
            "CONF_RETRY_GAP_S": str(s.conf_retry_gap_s),
            "CONF_ORIGINATE_S": str(s.conf_dial_tries * (s.conf_dial_s + s.conf_retry_gap_s) + 10),
            "HOTLINE_EXTENSIONS": hotline_extensions(s.hotline_numbers, s.sos_number_list),
        }

    def _module_dir(self) -> str:
        found = next(self.rootfs.glob("usr/lib/*/asterisk/modules/app_queue.so"))
        return "/" + str(found.parent.relative_to(self.rootfs))

    def render(self) -> Path:
        """Write the instance's configuration, prompts and AGI scripts afresh;
        keep its data (AstDB and keys in lib, recordings in spool, logs and
        CDR in log) across restarts. Return its path on the host."""
        for sub in RENDERED:
            if (self.dir / sub).exists():
                shutil.rmtree(self.dir / sub)
        for sub in (*RENDERED, *KEPT, *KEPT_SUBDIRS):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        values = self.values()
        sources = [p for p in CONFIG_SRC.rglob("*.conf") if p.parent.name != "bench"]
        if self.settings.bench:
            sources += [p for p in (CONFIG_SRC / "bench").glob("*.conf")]
        for src in sources:
            relative = src.relative_to(CONFIG_SRC)
            if relative.parts[0] == "bench":
                relative = Path("extensions.d") / relative.name
            target = self.dir / "etc" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_substitute(src.read_text(), values))
        (self.dir / "etc" / "pjsip_agents.conf").write_text(self._agent_sections())
        install_data(self.rootfs, self.dir / "data")
        install_agi_scripts(self.dir / "agi-bin")
        give_to_asterisk(self.rootfs, self.dir, KEPT, etc=self.dir / "etc")
        return self.dir

    def _agent_sections(self) -> str:
        blocks = ["; generated by scripts/pbx.py -- one seat per agent id"]
        for a in self.settings.agent_ids:
            blocks.append(
                f"[agent{a}](agent-endpoint)\nauth = agent{a}\naors = agent{a}\n"
                f'callerid = "座席{a}" <{a}>\n\n'
                f"[agent{a}](agent-auth)\nusername = agent{a}\n"
                f"password = {agent_password(a)}\n\n"
                f"[agent{a}](agent-aor)\n"
            )
        return "\n".join(blocks)

    # -------------------------------------------------------------- process
    def command(self) -> list[str]:
        return [
            "chroot", str(self.rootfs), "/usr/sbin/asterisk",
            "-f", "-C", f"{self.inner_dir}/etc/asterisk.conf",
        ]  # fmt: skip

    def start(self, render: bool = True) -> subprocess.Popen[bytes]:
        """Start Asterisk in the background and wait until it is fully booted."""
        if render:
            self.render()
        log = open(self.dir / "log" / "console.log", "ab")
        self.process = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True,
        )  # fmt: skip
        self.wait_booted()
        return self.process

    def wait_booted(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Asterisk exited early; see {self.dir}/log/console.log")
            result = self.cli("core waitfullybooted", check=False, timeout=10)
            if result.returncode == 0 and "fully booted" in result.stdout:
                return
            time.sleep(0.2)
        raise TimeoutError("Asterisk did not finish booting")

    def cli(self, command: str, check: bool = True, timeout: float = 15):
        return subprocess.run(
            [*self.command()[:3], "-C", f"{self.inner_dir}/etc/asterisk.conf", "-rx", command],
            check=check, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the instance started by this object, by its process id."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.cli("core stop now", check=False, timeout=timeout)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


# written afresh on every render / kept across restarts (Asterisk writes them)
RENDERED = ("etc", "agi-bin", "data")
KEPT = ("lib", "spool", "run", "log")
# Asterisk writes into these but does not create them
KEPT_SUBDIRS = ("log/cdr-csv", "spool/monitor")


def _substitute(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    if "@@" in text:
        start = text.index("@@")
        raise ValueError(f"unrendered placeholder near: {text[start : start + 40]!r}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.pbx")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("render")
    sub.add_parser("start")
    cli = sub.add_parser("cli")
    cli.add_argument("command")
    pw = sub.add_parser("agent-password")
    pw.add_argument("agent_id")
    args = parser.parse_args(argv)

    if args.cmd == "agent-password":
        print(agent_password(args.agent_id))
        return 0
    pbx = Pbx()
    if args.cmd == "render":
        print(pbx.render())
    elif args.cmd == "cli":
        print(pbx.cli(args.command).stdout, end="")
    elif args.cmd == "start":
        pbx.render()
        os.execvp("chroot", pbx.command())
    return 0


if __name__ == "__main__":
    sys.exit(main())
