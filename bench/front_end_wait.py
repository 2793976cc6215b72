"""Benchmark (h): how long the front end costs a caller before the queue.

GB/T 33358-2016 counts the 15 seconds from the call. For each caller this
measures, from Asterisk's own event timestamps (manager.conf timestampevents):

- answer -> queue: the caller channel going Up (Newstate) to QueueCallerJoin;
- answer -> first ring: going Up to the first AgentCalled (a free seat is
  logged in as a static member and answers every call).

Three conditions in the same run, CALLS calls each, one at a time:

- queue-first, callers that send audio from the first moment (as a phone
  does): 12345, the FastAGI front end of issue 11;
- queue-first, silent callers: the same, with sipp sending no audio (Answer()
  then waits up to 500 ms for a first media frame);
- menu-first, the baseline: 9912346, the front end as it was before issue 11
  (welcome and menu, then 3 s for a key, then the queue), callers with audio.

    python -m bench.front_end_wait [CALLS]
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from pathlib import Path

from bench import common
from testkit.sipp import SippAgent, citizen_scenario
from testkit.waiting import free_port

SEAT = "1001"  # a static member of the bench instance's queues
HOLD_MS = 1500  # on the line with the seat, then hang up
MENU_FIRST_HOLD_MS = 20000  # the baseline's caller must outlast welcome, menu and wait


def ts(event) -> float:
    return float(event["Timestamp"])


async def one_call(pbx, ami, workdir: Path, number: str, voice: bool, hold_ms: int) -> tuple:
    scenario = citizen_scenario(workdir, None, 0, voice_ms=3000 if voice else 0)
    start = len(ami.events)
    proc = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_port()),
        "-mp", str(free_port()), "-s", number, "-key", "caller", "13800138000",
        "-d", str(hold_ms), "-m", "1", "-timeout", "60", "-nostdin",
        f"127.0.0.1:{pbx.settings.sip_port}",
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = asyncio.get_running_loop().time() + 40
    while asyncio.get_running_loop().time() < deadline:
        events = ami.events[start:]
        joined = next((e for e in events if e.get("Event") == "QueueCallerJoin"), None)
        if joined is not None:
            called = next((e for e in events if e.get("Event") == "AgentCalled"
                           and e.get("Uniqueid") == joined["Uniqueid"]), None)  # fmt: skip
            up = next((e for e in events if e.get("Event") == "Newstate"
                       and e.get("Uniqueid") == joined["Uniqueid"]
                       and e.get("ChannelState") == "6"), None)  # fmt: skip
            if called is not None and up is not None:
                await proc.wait()
                return ts(joined) - ts(up), ts(called) - ts(up)
        await asyncio.sleep(0.05)
    proc.kill()
    await proc.wait()
    raise RuntimeError(f"call to {number} never reached the seat")


async def run(calls: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-"))
    with common.bench_system() as (pbx, _agi):
        from scripts.pbx import agent_password

        seat = SippAgent(SEAT, agent_password(SEAT), free_port(), pbx.settings.sip_port, workdir)
        seat.start()
        try:
            await asyncio.sleep(2)  # registered, qualified
            ami = await common.ami_for(pbx)
            conditions = {
                "queue-first, audio": ("12345", True, HOLD_MS),
                "queue-first, silent": ("12345", False, HOLD_MS),
                "menu-first (before), audio": ("9912346", True, MENU_FIRST_HOLD_MS),
            }
            found: dict[str, list[tuple[float, float]]] = {k: [] for k in conditions}
            for _ in range(calls):
                for name, (number, voice, hold) in conditions.items():
                    found[name].append(await one_call(pbx, ami, workdir, number, voice, hold))
                    await asyncio.sleep(0.5)
            ami.close()
        finally:
            seat.stop()
    print(f"machine: {common.machine()}; commit {common.git_rev()}")
    print(f"command: python -m bench.front_end_wait {calls}")
    rows = {}
    for name, values in found.items():
        queue = [q * 1000 for q, _ in values]
        ring = [r * 1000 for _, r in values]
        rows[name] = (common.median(queue), common.median(ring))
        p99_queue, p99_ring = common.percentile(queue, 99), common.percentile(ring, 99)
        print(f"{name:28s} answer->queue p50 {common.median(queue):7.0f} ms"
              f" p99 {p99_queue:7.0f} ms | answer->first ring"
              f" p50 {common.median(ring):7.0f} ms p99 {p99_ring:7.0f} ms")  # fmt: skip
    base = rows["menu-first (before), audio"][1]
    now = rows["queue-first, audio"][1]
    if now:
        print(f"ratio first ring, menu-first / queue-first: {base / now:.0f}x")


def main() -> None:
    common.main_with_count(run, 20)


if __name__ == "__main__":
    main()
