"""Real SIP peers for tests and benchmarks: sipp seat phones, the 120 center
on the partner trunk, citizens placing calls (scenarios in testkit/sipp/)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from testkit.dtmf import DtmfStream, key_ms
from testkit.waiting import free_port, stop_process

SIPP_DIR = Path(__file__).resolve().parent / "sipp"


@dataclass
class SippAgent:
    """A seat's phone: a sipp UAS answering calls, registered as agent<id>."""

    agent_id: str
    password: str
    port: int
    sip_port: int
    workdir: Path
    proc: subprocess.Popen | None = None
    # talk back: send every caller's audio back to it (sipp -rtp_echo)
    echo: bool = False
    # audio the phone sends from each answer until the call ends (a pcap for
    # play_pcap_audio, e.g. seat_audio()): a real phone sends for the whole call
    audio: Path | None = None

    def start(self) -> None:
        scenario = SIPP_DIR / "agent_answer.xml"
        if self.audio is not None:
            scenario = self.workdir / f"agent{self.agent_id}.xml"
            scenario.write_text(answering_with(self.audio))
        self.proc = subprocess.Popen(
            ["sipp", "-sf", str(scenario), "-i", "127.0.0.1",
             "-p", str(self.port), "-mp", str(self.port + 1000), "-nostdin",
             "-trace_logs", "-log_file", str(self.log_path),
             *(["-rtp_echo"] if self.echo else []), f"127.0.0.1:{self.sip_port}"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.register()

    @property
    def log_path(self) -> Path:
        return self.workdir / f"agent{self.agent_id}.log"

    def register(self, expires: int = 3600) -> None:
        run = start_sipp(
            ["sipp", "-sf", str(SIPP_DIR / "agent_register.xml"), "-i", "127.0.0.1",
             "-s", f"agent{self.agent_id}", "-au", f"agent{self.agent_id}", "-ap", self.password,
             "-key", "contact_port", str(self.port), "-key", "expires", str(expires),
             "-m", "1", "-timeout", "10", "-timeout_error", "-nostdin",
             f"127.0.0.1:{self.sip_port}"],
            self.workdir,
        )  # fmt: skip
        code = run.wait(20)
        if code != 0:
            raise AssertionError(f"agent{self.agent_id} failed to register (sipp {code})")

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


def answering_with(audio: Path) -> str:
    """agent_answer.xml with `audio` played from the moment the call is up."""
    source = (SIPP_DIR / "agent_answer.xml").read_text()
    ack = '<recv request="ACK" crlf="true"/>'
    assert source.count(ack) == 1
    play = f'<nop><action><exec play_pcap_audio="{audio}"/></action></nop>'
    return source.replace(ack, f"{ack}\n  {play}")


def seat_audio(workdir: Path, seconds: int) -> Path:
    """What a seat's phone sends while its agent listens: silence, `seconds`
    of it (the play ends with the call)."""
    path = workdir / f"seat-audio-{seconds}s.pcap"
    if not path.exists():
        DtmfStream().write_voice(seconds * 1000, path, SILENCE * (seconds * 8000))
    return path


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

    def invites(self, dialled: str = "", caller: str = "") -> int:
        """INVITEs received, or those for one dialled number (from one caller id)."""
        if not self.log_path.exists():
            return 0
        wanted = f"uri=INVITE sip:{dialled}@" if dialled else ""
        calling = f"from=sip:{caller}@" if caller else ""
        return sum(1 for line in self.log_path.read_text(errors="replace").splitlines()
                   if line.startswith("INVITE") and wanted in line and calling in line)  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


BIND_FAILED = 254  # sipp's exit code when its socket's port was taken meanwhile
LAUNCHES = 3


@dataclass
class CitizenCall:
    """One sipp run (a citizen's call, a seat's dial, a REGISTER); wait()
    returns sipp's exit code. Its ports are taken free just before each
    launch; one taken by another process in between (sipp: "Unable to bind")
    costs a launch with new ports, not the test."""

    proc: subprocess.Popen
    scenario: Path
    args: list[str] = field(default_factory=list)
    cwd: Path | None = None
    err: Path | None = None  # sipp's stderr of the latest launch
    launches: int = 1

    def wait(self, timeout: float = 60) -> int:
        while True:
            try:
                code = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_process(self.proc)
                raise
            if code != BIND_FAILED or self.launches >= LAUNCHES or not self._bind_failed():
                return code
            self.proc, self.err = _launch(self.args, self.cwd)
            self.launches += 1

    def _bind_failed(self) -> bool:
        said = self.err.read_text(errors="replace") if self.err and self.err.exists() else ""
        return "Unable to bind" in said

    async def finished(self, timeout: float = 60) -> int:
        """wait() for coroutines: the event loop keeps running meanwhile."""
        return await asyncio.to_thread(self.wait, timeout)

    def stop(self) -> None:
        stop_process(self.proc)


GROUP_GAP_MS = 1500  # between groups ("1,20261125000001#": the menu key, then the number)
KEY_TO_TALK_MS = 200  # after a key group's last tone, before a talking caller talks on
SILENCE = b"\xff"  # one mu-law sample of silence


def talk_delay_ms(dtmf: str | None, voice_ms: int) -> int:
    """How long after the last key group starts (or the first audio, without
    keys) a talking caller's talk begins: once that group (or audio) ended."""
    groups = dtmf.split(",") if dtmf else []
    return key_ms(groups[-1]) + KEY_TO_TALK_MS if groups else voice_ms


def citizen_scenario(workdir: Path, dtmf: str | None, dtmf_delay_ms: int,
                     voice_ms: int = 0, speech: bytes = b"", talk_ms: int = 0) -> Path:  # fmt: skip
    """citizen_call.xml made concrete: sipp substitutes no keywords inside
    <pause> or <exec>, so the key presses are written in (or left out).
    `dtmf` is one key, a run of keys, or comma-separated groups of keys; each
    group is one RFC 2833 pcap (tests/dtmf.py), played after a pause.
    `voice_ms` > 0: the caller sends that much audio from the moment the call
    is up, as a real phone does (a silent caller costs Asterisk's 500 ms wait
    for the first media frame at every Answer()); `speech` (8 kHz mu-law)
    is what the caller says, from the first moment.
    `talk_ms` > 0: the phone keeps sending audio after the keys, for up to
    `talk_ms`, as a real phone does for the whole call (a recording holds
    what was sent while the caller was bridged to a seat): `speech` said
    again and again a second apart, or a quiet hum; `speech` then starts
    here, not with the first audio. The talk starts talk_delay_ms() after
    the last key group: the caller's -d counts from there."""
    source = (SIPP_DIR / "citizen_call.xml").read_text()
    block = re.search(r"<pause milliseconds=\"\[dtmf_delay\]\"/>\s*<nop>.*?</nop>", source, re.S)
    assert block is not None
    stream = DtmfStream()
    presses = []
    first = b"" if talk_ms else speech
    if talk_ms and not voice_ms:
        voice_ms = 1000
    if voice_ms > 0 or first:
        pcap = Path(tempfile.mkstemp(suffix=".pcap", dir=workdir)[1])
        stream.write_voice(voice_ms, pcap, first)
        presses.append(block.group(0).replace("[dtmf_delay]", "0")
                       .replace("[dtmf_pcap]", str(pcap)))  # fmt: skip
    for number, group in enumerate(dtmf.split(",") if dtmf else []):
        pcap = stream.write(group, Path(tempfile.mkstemp(suffix=".pcap", dir=workdir)[1]))
        delay = dtmf_delay_ms if number == 0 else GROUP_GAP_MS
        presses.append(block.group(0).replace("[dtmf_delay]", str(delay))
                       .replace("[dtmf_pcap]", str(pcap)))  # fmt: skip
    if talk_ms:
        said = (speech + SILENCE * 8000) * (talk_ms // max(1, len(speech) // 8 + 1000) + 1)
        pcap = Path(tempfile.mkstemp(suffix=".pcap", dir=workdir)[1])
        stream.write_voice(talk_ms, pcap, said[: talk_ms * 8] if speech else b"")
        presses.append(block.group(0).replace("[dtmf_delay]", str(talk_delay_ms(dtmf, voice_ms)))
                       .replace("[dtmf_pcap]", str(pcap)))  # fmt: skip
    text = source.replace(block.group(0), "\n  ".join(presses))
    target = Path(tempfile.mkstemp(prefix="citizen-", suffix=".xml", dir=workdir)[1])
    target.write_text(text)
    return target


def place_call(
    sip_port: int,
    number: str,
    caller: str,
    workdir: Path,
    hold_ms: int,
    dtmf: str | None = None,
    dtmf_delay_ms: int = 1500,
    scenario: str | None = None,
    voice_ms: int = 0,
    speech: bytes = b"",
    timeout_s: int = 120,
) -> CitizenCall:
    if scenario is not None:
        path = SIPP_DIR / scenario
    else:
        path = citizen_scenario(workdir, dtmf, dtmf_delay_ms, voice_ms, speech)
    args = ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-s", number, "-key", "caller", caller,
            "-d", str(hold_ms), "-m", "1", "-timeout", str(timeout_s), "-timeout_error", "-nostdin",
            f"127.0.0.1:{sip_port}"]  # fmt: skip
    return start_sipp(args, workdir, path)


def start_sipp(args: list[str], cwd: Path, scenario: Path | None = None) -> CitizenCall:
    """sipp with `args` (without -p / -mp: free ports are added at each
    launch), from `cwd`; stderr kept beside the run to tell a bind failure."""
    proc, err = _launch(args, cwd)
    return CitizenCall(proc, scenario or Path(args[2]), args, cwd, err)


def _launch(args: list[str], cwd: Path | None) -> tuple[subprocess.Popen, Path]:
    ported = [*args[:-1], "-p", str(free_port()), "-mp", str(free_port()), args[-1]]
    with tempfile.NamedTemporaryFile(prefix="sipp-", suffix=".err", dir=cwd, delete=False) as err:
        proc = subprocess.Popen(ported, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
    return proc, Path(err.name)
