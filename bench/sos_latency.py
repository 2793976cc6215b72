"""Benchmark (e): the SOS line's two clocks, with ordinary calls loading the
hotline queue at the same time.

1. ring: from the SOS call's arrival (its channel's Newchannel event) to the
   first seat's phone being rung (AgentCalled); and "ring after answer", from
   the dialplan's YhtSosStart (answered, recording) to AgentCalled. Four
   seats answer; under load ordinary callers arrive faster than the seats
   can serve them, every seat is busy and a queue of ordinary callers
   waits: the SOS call must take the first seat that frees, ahead of them.
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
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import common
from bench.common import (
    ami_for,
    bench_system,
    git_rev,
    machine,
    median,
    percentile,
    stop_on_sigterm,
)
from testkit.sipp import SippAgent, SippCenter, citizen_scenario
from testkit.waiting import free_port

SEATS = ("1001", "1002", "1003", "1004")
LOAD_RATE = (2, 3000)  # two ordinary calls every 3 s
# an ordinary caller's time on the line: about 15 s of greeting, menu and
# menu timeout (9912345, no key pressed), then about 15 s in the queue or
# with a seat: about 10 Erlangs offered to 4 seats, so every seat is busy
# and ordinary callers queue up; an SOS call waits for the first seat to free
HOLD_MS = 30000
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
    proc = await common.citizen_call(pbx, workdir, scenario, "12349", caller, hold_ms)
    await proc.wait()
    await asyncio.sleep(0.3)
    for event in ami.events[start:]:
        if event.get("Event") == "UserEvent" and event.get("UserEvent") == "YhtSosStart":
            return event["CallId"]
    raise RuntimeError("the SOS call never started")


async def ring_delay(ami, call_id: str) -> tuple[float, float] | None:
    """(arrival -> first ring, answered and recording -> first ring), or None
    when no seat was rung before the caller hung up."""
    new = next(e for e in ami.events if e.get("Event") == "Newchannel"
               and e.get("Uniqueid") == call_id)  # fmt: skip
    start = next(e for e in ami.events if e.get("UserEvent") == "YhtSosStart"
                 and e.get("CallId") == call_id)  # fmt: skip
    called = [e for e in ami.events if e.get("Event") == "AgentCalled"
              and e.get("Uniqueid") == call_id]  # fmt: skip
    if not called:
        return None
    return ts(called[0]) - ts(new), ts(called[0]) - ts(start)


async def escalation_delay(ami, call_id: str) -> float:
    conf = "".join(c for c in call_id if c.isdigit())
    escalate = next(e for e in ami.events if e.get("UserEvent") == "YhtSosEscalate"
                    and e.get("CallId") == call_id)  # fmt: skip
    joined = next(e for e in ami.events if e.get("Event") == "ConfbridgeJoin"
                  and e.get("Conference") == conf
                  and e.get("Channel", "").startswith("Local/120*"))  # fmt: skip
    return ts(joined) - ts(escalate)


async def condition(pbx, ami, workdir, loaded: bool, calls: int,
                    paused: bool) -> list[tuple[float, ...]]:  # fmt: skip
    for seat in SEATS:
        await ami.action(Action="QueuePause", Interface=f"PJSIP/agent{seat}",
                         Paused="true" if paused else "false", Reason="bench")  # fmt: skip
    load = await ordinary_load(pbx, workdir) if loaded else None
    if load is not None:
        await asyncio.sleep(35)  # the seats fill up and a queue forms
    samples: list[tuple[float, ...]] = []
    try:
        for n in range(calls):
            caller = f"1390000{n:04d}"
            if paused:
                call_id = await sos_call(pbx, ami, workdir, caller, SOS_ANSWER_S * 1000 + 3000)
                samples.append((await escalation_delay(ami, call_id),))
            else:
                # loaded, the elder may wait for a seat to free up
                call_id = await sos_call(pbx, ami, workdir, caller, 12000 if loaded else 2500)
                ring = await ring_delay(ami, call_id)
                if ring is None:
                    print(f"  {call_id}: no seat rung before the caller hung up", flush=True)
                else:
                    samples.append(ring)
    finally:
        if load is not None:
            # SIGUSR1: sipp stops placing calls and lets the running ones hang
            # up (BYE); a killed sipp would leave calls that seats then take
            load.send_signal(signal.SIGUSR1)
            try:
                await asyncio.wait_for(load.wait(), HOLD_MS / 1000 + 30)
            except TimeoutError:
                load.kill()
                await load.wait()
            await asyncio.sleep(2)
    return samples


async def run(calls: int, runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-sos-"))
    import os

    os.environ["YHT_PBX_SOS_ANSWER_S"] = str(SOS_ANSWER_S)
    # the callers are not registered devices: on this line anyone gets 120
    os.environ["YHT_PBX_SOS_ANYONE_120"] = "12349"
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
                    columns = ([name, name.replace("ring", "ring after answer")]
                               if not paused else [name])  # fmt: skip
                    for i, label in enumerate(columns):
                        values = [sample[i] for sample in samples]
                        if not values:
                            print(f"run {r + 1} {label}: no samples", flush=True)
                            continue
                        p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
                        results.setdefault(label, []).append((p50, p99))
                        print(f"run {r + 1} {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                              f"({len(values)} calls)", flush=True)  # fmt: skip
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
    for name, per_run in results.items():
        p50, p99 = median([v[0] for v in per_run]), median([v[1] for v in per_run])
        summary[name] = (p50, p99)
        print(f"| {name} | {p50:.1f} ms | {p99:.1f} ms |")
    for kind in ("ring", "ring after answer", "escalation"):
        base, busy = summary[f"{kind}, no load"], summary[f"{kind}, loaded"]
        print(f"{kind}: loaded / no load p50 ratio {busy[0] / base[0]:.2f}, "
              f"p99 ratio {busy[1] / base[1]:.2f}")  # fmt: skip


def main() -> None:
    stop_on_sigterm()
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    asyncio.run(run(calls, runs))


if __name__ == "__main__":
    main()
