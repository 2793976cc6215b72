"""Benchmark (a): calls per second through the voice front end into the queue.

sipp places calls that wait in the queue until they hang up (the front end
queues every call at once, issue 11). The same calls go once to 12345 (the
FastAGI front end: caller recognised, wait class chosen) and once to 9912345
(queued in pure dialplan, no Python: the ceiling). For each, the rate climbs through RATES;
a rate passes when sipp reports zero failed calls and every call produced a
QueueCallerJoin with the expected IVR path. The highest passing rate of each
is reported, and their ratio. Each step is repeated; the median is reported.

The search doubles the rate from START_RATE until a step fails (or MAX_RATE
passes), then bisects between the last passing and the first failing rate
until they are within 10 %, so a search costs a handful of steps instead
of a ladder of them.

    python -m bench.front_end_cps [SECONDS_PER_STEP] [REPEATS]
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from bench.common import (
    ami_for,
    bench_system,
    highest_passing,
    machine,
    median,
    stop_on_sigterm,
)
from ivr.menu import MENU_FILE
from testkit.ami import chan_vars
from testkit.sipp import citizen_scenario
from testkit.waiting import free_port

START_RATE = 4
MAX_RATE = 64
HOLD_MS = 6000


async def step(pbx, ami, number: str, rate: int, seconds: int, workdir: Path) -> bool:
    calls = rate * seconds
    scenario = citizen_scenario(workdir, None, 0)
    start = len(ami.events)
    proc = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_port()),
        "-mp", str(free_port()), "-s", number, "-key", "caller", "13800138000",
        "-d", str(HOLD_MS), "-r", str(rate), "-m", str(calls), "-l", str(rate * 12),
        "-timeout", str(seconds + 60), "-timeout_error", "-nostdin",
        f"127.0.0.1:{pbx.settings.sip_port}",
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    code = await proc.wait()
    await asyncio.sleep(1.0)
    joined = {
        e["Uniqueid"]
        for e in ami.events[start:]
        if e.get("Event") == "QueueCallerJoin" and chan_vars(e).get("YHT_IVR_PATH", "") == "queue"
    }
    return code == 0 and len(joined) == calls


async def highest_rate(pbx, ami, number: str, seconds: int, workdir: Path) -> int:
    async def passes(rate: int) -> bool:
        ok = await step(pbx, ami, number, rate, seconds, workdir)
        print(f"  {number} at {rate} calls/s: {'pass' if ok else 'fail'}", flush=True)
        await asyncio.sleep(HOLD_MS / 1000 + 3)  # let the step's calls end
        return ok

    return int(await highest_passing(passes, START_RATE, MAX_RATE, whole=True))


async def run(seconds: int, repeats: int) -> None:
    menu = yaml.safe_load(MENU_FILE.read_text())
    menu["schedule"]["day_hours"] = ["00:00", "00:00"]  # same prompts at any hour
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-"))
    menu_file = workdir / "menu.yaml"
    menu_file.write_text(yaml.safe_dump(menu, allow_unicode=True))
    with bench_system(str(menu_file)) as (pbx, _agi):
        ami = await ami_for(pbx)
        found: dict[str, list[int]] = {"fastagi": [], "dialplan": []}
        for _ in range(repeats):
            found["fastagi"].append(await highest_rate(pbx, ami, "12345", seconds, workdir))
            found["dialplan"].append(await highest_rate(pbx, ami, "9912345", seconds, workdir))
        ami.close()
    fast, ceiling = median(found["fastagi"]), median(found["dialplan"])
    print(f"machine: {machine()}")
    print(f"command: python -m bench.front_end_cps {seconds} {repeats}")
    print(
        f"search: doubling from {START_RATE} then bisection to 10 %, {seconds} s per step,"
        f" calls hold {HOLD_MS} ms after the key"
    )
    print(f"FastAGI front end : {fast} calls/s sustained, zero failed (runs: {found['fastagi']})")
    print(
        f"pure dialplan     : {ceiling} calls/s sustained, zero failed (runs: {found['dialplan']})"
    )
    if ceiling:
        print(f"ratio FastAGI/dialplan: {fast / ceiling:.2f}")


def main() -> None:
    stop_on_sigterm()
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    asyncio.run(run(seconds, repeats))


if __name__ == "__main__":
    main()
