"""Benchmark (e): the SOS line's two clocks, with ordinary calls loading the
hotline queue at the same time.

1. ring: from the SOS call's arrival (its channel's Newchannel event) to the
   first seat's phone being rung (AgentCalled). Four seats answer; ordinary
   callers arrive at LOAD_RATE calls/s and talk HOLD_MS, so the seats are
   mostly busy and ordinary callers wait: the SOS call must take the first
   free seat ahead of them.
2. escalation: every seat paused, so nobody answers; from the no-answer
   timeout (YhtSosEscalate) to 120 answering and joining the conference
   (ConfbridgeJoin of the Local/120* leg). The 120 center is a sipp UAS.

Both are measured from Asterisk's own event timestamps (manager.conf
timestampevents). Each is measured without load (the baseline) and with
load, in the same run; p50/p99 per run, the median over RUNS is reported.

    python -m bench.sos_latency [SOS_CALLS_PER_CONDITION] [RUNS]
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import (
    ami_for,
    bench_system,
    git_rev,
    machine,
    median,
    percentile,
    stop_on_sigterm,
)
from tests.harness import SippAgent, SippCenter, citizen_scenario, free_port

SEATS = ("1001", "1002", "1003", "1004")
LOAD_RATE = (3, 4000)  # 3 calls every 4 s: 0.75 calls/s
HOLD_MS = 4000  # ordinary talk time: 3 Erlangs on 4 seats
SOS_ANSWER_S = 3


def ts(event) -> float:
    return float(event["Timestamp"])


async def ordinary_load(pbx, workdir: Path) -> asyncio.subprocess.Process:
    scenario = citizen_scenario(workdir, None, 0)
    return await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_port()),
        "-mp", str(free_port()), "-s", "9912345", "-key", "caller", "13800138000",
        "-d", str(HOLD_MS), "-r", str(LOAD_RATE[0]), "-rp", str(LOAD_RATE[1]),
        "-l", "200", "-nostdin", f"127.0.0.1:{pbx.settings.sip_port}",
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def sos_call(pbx, ami, workdir: Path, caller: str, hold_ms: int) -> str:
    """One SOS call; returns its uniqueid once it has ended."""
    scenario = citizen_scenario(workdir, None, 0)
    start = len(ami.events)
    proc = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_port()),
        "-mp", str(free_port()), "-s", "12349", "-key", "caller", caller,
        "-d", str(hold_ms), "-m", "1", "-timeout", "60", "-nostdin",
        f"127.0.0.1:{pbx.settings.sip_port}",
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    await proc.wait()
    await asyncio.sleep(0.3)
    for event in ami.events[start:]:
        if event.get("Event") == "UserEvent" and event.get("UserEvent") == "YhtSosStart":
            return event["CallId"]
    raise RuntimeError("the SOS call never started")


async def ring_delay(ami, call_id: str) -> float:
    new = next(e for e in ami.events if e.get("Event") == "Newchannel"
               and e.get("Uniqueid") == call_id)  # fmt: skip
    called = next(e for e in ami.events if e.get("Event") == "AgentCalled"
                  and e.get("Uniqueid") == call_id)  # fmt: skip
    return ts(called) - ts(new)


async def escalation_delay(ami, call_id: str) -> float:
    conf = "".join(c for c in call_id if c.isdigit())
    escalate = next(e for e in ami.events if e.get("UserEvent") == "YhtSosEscalate"
                    and e.get("CallId") == call_id)  # fmt: skip
    joined = next(e for e in ami.events if e.get("Event") == "ConfbridgeJoin"
                  and e.get("Conference") == conf
                  and e.get("Channel", "").startswith("Local/120*"))  # fmt: skip
    return ts(joined) - ts(escalate)


async def condition(pbx, ami, workdir, loaded: bool, calls: int, paused: bool) -> list[float]:
    for seat in SEATS:
        await ami.action(Action="QueuePause", Interface=f"PJSIP/agent{seat}",
                         Paused="true" if paused else "false", Reason="bench")  # fmt: skip
    load = await ordinary_load(pbx, workdir) if loaded else None
    if load is not None:
        await asyncio.sleep(8)  # the seats fill up and a queue forms
    samples = []
    try:
        for n in range(calls):
            caller = f"1390000{n:04d}"
            if paused:
                call_id = await sos_call(pbx, ami, workdir, caller, SOS_ANSWER_S * 1000 + 3000)
                samples.append(await escalation_delay(ami, call_id))
            else:
                call_id = await sos_call(pbx, ami, workdir, caller, 1000)
                samples.append(await ring_delay(ami, call_id))
    finally:
        if load is not None:
            load.terminate()
            await load.wait()
            await asyncio.sleep(HOLD_MS / 1000 + 2)
    return samples


async def run(calls: int, runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-sos-"))
    import os

    os.environ["YHT_PBX_SOS_ANSWER_S"] = str(SOS_ANSWER_S)
    os.environ["YHT_PBX_STATIC_MEMBERS"] = "all"
    from scripts.pbx import agent_password

    with bench_system() as (pbx, _agi):
        phones = [SippAgent(s, agent_password(s), 25071 + 10 * i, pbx.settings.sip_port, workdir)
                  for i, s in enumerate(SEATS)]  # fmt: skip
        center = SippCenter(int(pbx.settings.partner_port), workdir)
        for phone in phones:
            phone.start()
        center.start()
        ami = await ami_for(pbx)
        results: dict[str, list[tuple[float, float]]] = {}
        try:
            await asyncio.sleep(2)
            for r in range(runs):
                for name, loaded, paused in (("ring, no load", False, False),
                                             ("ring, loaded", True, False),
                                             ("escalation, no load", False, True),
                                             ("escalation, loaded", True, True)):  # fmt: skip
                    samples = await condition(pbx, ami, workdir, loaded, calls, paused)
                    p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
                    results.setdefault(name, []).append((p50, p99))
                    print(f"run {r + 1} {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                          f"({len(samples)} calls)", flush=True)  # fmt: skip
        finally:
            ami.close()
            center.stop()
            for phone in phones:
                phone.stop()
    print(f"\n{machine()}; commit {git_rev()}")
    print(f"python -m bench.sos_latency {calls} {runs}; load {LOAD_RATE[0]}/{LOAD_RATE[1]} ms "
          f"calls, {HOLD_MS} ms talk, 4 seats; SOS answer time {SOS_ANSWER_S} s")  # fmt: skip
    print("| measure | p50 (median of runs) | p99 (median of runs) |")
    print("|---|---|---|")
    summary = {}
    for name, values in results.items():
        p50, p99 = median([v[0] for v in values]), median([v[1] for v in values])
        summary[name] = (p50, p99)
        print(f"| {name} | {p50:.1f} ms | {p99:.1f} ms |")
    for kind in ("ring", "escalation"):
        base, loaded = summary[f"{kind}, no load"], summary[f"{kind}, loaded"]
        print(f"{kind}: loaded / no load p50 ratio {loaded[0] / base[0]:.2f}, "
              f"p99 ratio {loaded[1] / base[1]:.2f}")  # fmt: skip


def main() -> None:
    stop_on_sigterm()
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    asyncio.run(run(calls, runs))


if __name__ == "__main__":
    main()
