"""Benchmark (m): how many calls at once this machine carries with every
call recorded as hotline calls are (MixMonitor: the mix and one file per
leg), beside the same calls not recorded: what recording costs.

sipp places CALLS calls at 20 per second, each sending a phone's audio for
HOLD seconds, answered and bridged to a far end that talks back (hold music
on a Local channel stands in for the seat: one sipp phone answering
every call was itself the limit, at about 40 calls): 9912350 records, 9912351
does not (90-bench.conf). A step passes when sipp reports no failed call, every call was put through
(DialEnd ANSWER) and, recorded, every call left its three files with the
citizen's leg at least 90 % as long as the call (audio an overloaded machine
drops fails it). Calls double from START until a step fails or MAX passes,
then halve the gap once. Also reported: Asterisk's CPU seconds per call
minute at the largest step both passed.

    python -m bench.recorded_calls [HOLD_SECONDS]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

from bench import common
from testkit.sipp import citizen_scenario
from testkit.waiting import free_port

START, MAX, RATE = 25, 400, 20
NUMBERS = {"recorded": "9912350", "not recorded (baseline)": "9912351"}


def session_cpu(sid: int) -> float:
    """CPU seconds of every process in Asterisk's session (it runs under chroot)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def seconds_of(path: Path) -> float:
    try:
        with wave.open(str(path)) as audio:
            return audio.getnframes() / audio.getframerate()
    except (wave.Error, EOFError, OSError):
        return 0.0


async def step(pbx, ami, workdir: Path, name: str, calls: int, hold_s: int) -> tuple[bool, float]:
    monitor = pbx.dir / "spool" / "monitor"
    for old in monitor.glob("bench-*.wav"):
        old.unlink()
    scenario = citizen_scenario(workdir, None, 0, voice_ms=hold_s * 1000 + 2000)
    start, cpu = len(ami.events), session_cpu(pbx.process.pid)
    proc = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_port()),
        "-mp", str(free_port()), "-s", NUMBERS[name], "-key", "caller", "13800000000",
        "-d", str(hold_s * 1000), "-l", str(calls), "-m", str(calls), "-r", str(RATE),
        "-timeout", str(hold_s + calls // RATE + 60), "-timeout_error", "-nostdin",
        f"127.0.0.1:{pbx.settings.sip_port}",
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    code = await proc.wait()
    await asyncio.sleep(2)  # the last recordings closed
    cpu = session_cpu(pbx.process.pid) - cpu
    answered = sum(1 for e in ami.events[start:] if e.get("Event") == "DialEnd"
                   and e.get("DialStatus") == "ANSWER")  # fmt: skip
    ok = code == 0 and answered == calls
    files = ""
    if NUMBERS[name] == "9912350":
        legs = [seconds_of(p) for p in monitor.glob("bench-*-citizen.wav")]
        count = len(list(monitor.glob("bench-*.wav")))
        ok = ok and len(legs) == calls and min(legs) >= 0.9 * hold_s and count == 3 * calls
        files = f", {count} files, shortest citizen leg {min(legs, default=0):.1f} s"
    print(f"  {name:24s} {calls:4d} calls: {'pass' if ok else 'FAIL'} (sipp {code}, put through"
          f" {answered}{files}, Asterisk CPU {cpu:.1f} s)", flush=True)  # fmt: skip
    return ok, cpu / (calls * hold_s / 60)


async def most(pbx, ami, workdir: Path, name: str, hold_s: int) -> tuple[int, dict[int, float]]:
    cpu: dict[int, float] = {}
    good, calls = 0, START
    while calls <= MAX:
        passed, cpu[calls] = await step(pbx, ami, workdir, name, calls, hold_s)
        if not passed:
            break
        good, calls = calls, calls * 2
    if good and calls <= MAX:  # one bisection step between the last pass and the fail
        middle = (good + calls) // 2
        passed, cpu[middle] = await step(pbx, ami, workdir, name, middle, hold_s)
        good = middle if passed else good
    return good, cpu


async def run(hold_s: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-rec-"))

    with common.bench_system() as (pbx, _agi):
        ami = await common.ami_for(pbx)
        found = {}
        try:
            for name in NUMBERS:
                found[name] = await most(pbx, ami, workdir, name, hold_s)
        finally:
            ami.close()
    print(f"machine: {common.machine()}; commit {common.git_rev()}")
    print(f"command: python -m bench.recorded_calls {hold_s}")
    for name, (good, _) in found.items():
        print(f"{name:24s} most calls at once with none failed: {good}")
    rec, base = found["recorded"][0], found["not recorded (baseline)"][0]
    if base:
        print(f"ratio recorded / not recorded: {rec / base:.2f}")
    both = sorted(set(found["recorded"][1]) & set(found["not recorded (baseline)"][1]))
    shared = [n for n in both if n <= min(rec, base)]
    if shared:
        n = shared[-1]
        print(
            f"Asterisk CPU s per call-minute at {n} calls: recorded "
            f"{found['recorded'][1][n]:.2f}, not recorded "
            f"{found['not recorded (baseline)'][1][n]:.2f}"
        )


def main() -> None:
    common.stop_on_sigterm()
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20))


if __name__ == "__main__":
    main()
