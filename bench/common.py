"""A benchmark instance of the whole call path, on its own ports."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
from collections.abc import Iterator

from scripts import secrets
from testkit.ami import AmiRecorder
from testkit.services import AgiServerProcess

BENCH_PORTS = {
    "YHT_PBX_INSTANCE": "bench",
    "YHT_PBX_SIP_PORT": "25060",
    "YHT_PBX_AMI_PORT": "25038",
    "YHT_PBX_HTTP_PORT": "25088",
    "YHT_PBX_AGI_PORT": "24573",
    "YHT_PBX_RTP_START": "20000",
    "YHT_PBX_RTP_END": "29999",
    "YHT_PBX_PARTNER_PORT": "25090",
    "YHT_PBX_BENCH": "1",
    "YHT_PBX_QUEUE_TIMEOUT": "600",
}


@contextlib.contextmanager
def bench_system(menu_file: str | None = None) -> Iterator[tuple]:
    env = {**BENCH_PORTS, **secrets.as_env()}
    if menu_file:
        env["YHT_AGI_MENU_FILE"] = menu_file
    os.environ.update(env)
    from scripts.pbx import Pbx, PbxSettings

    pbx = Pbx(PbxSettings())
    agi = AgiServerProcess(int(env["YHT_PBX_AGI_PORT"]), env)
    pbx.start()
    try:
        agi.start()
        yield pbx, agi
    finally:
        agi.stop()
        pbx.stop()


async def ami_for(pbx) -> AmiRecorder:
    recorder = AmiRecorder("127.0.0.1", pbx.settings.ami_port, pbx.settings.ami_observer,
                           pbx.ami_observer_secret)  # fmt: skip
    await recorder.connect()
    return recorder


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    python = platform.python_version()
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {python}, Asterisk 22"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def git_rev() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def stop_on_sigterm() -> None:
    """Turn SIGTERM (e.g. from `timeout`) into SystemExit so the benchmark's
    cleanup stops Asterisk and the FastAGI server by pid."""
    import signal

    def _exit(*_: object) -> None:
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, _exit)


def main_with_count(run, default: int) -> None:
    """`python -m bench.X [COUNT]`: SIGTERM stops cleanly, COUNT or default."""
    import asyncio
    import sys

    stop_on_sigterm()
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else default))


async def citizen_call(pbx, workdir, scenario, number: str, caller: str, hold_ms: int):
    """One sipp citizen call (at most a minute) as a child process."""
    import asyncio

    from testkit.waiting import free_port

    return await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_port()),
        "-mp", str(free_port()), "-s", number, "-key", "caller", caller,
        "-d", str(hold_ms), "-m", "1", "-timeout", "60", "-nostdin",
        f"127.0.0.1:{pbx.settings.sip_port}",
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def highest_passing(passes, start: float, maximum: float, whole: bool = False) -> float:
    """The highest rate for which `await passes(rate)` holds: doubled from
    `start` until a rate fails (or `maximum` passes), then bisected until the
    last pass and the first failure are within 10 % (whole: integer rates)."""
    good, bad = 0.0, None
    rate = start
    while rate <= maximum:
        if not await passes(rate):
            bad = rate
            break
        good, rate = rate, rate * 2
    while bad is not None and good and bad - good > max(1 if whole else 0, good / 10):
        middle = int((good + bad) // 2) if whole else round((good + bad) / 2, 1)
        if await passes(middle):
            good = middle
        else:
            bad = middle
    return good
