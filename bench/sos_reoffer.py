"""Benchmark (i): every seat is talking when an SOS call arrives; how soon is
the first seat to free rung for it?

Two seats answer every call. Each sample: two ordinary callers occupy both
seats (queue-first 9912345, no Python in the path), an elder's SOS call
arrives (sending audio from the first moment, as a phone does) and waits; the
first ordinary caller hangs up. Measured from Asterisk's own event timestamps:
the seat's device freeing (QueueMemberStatus of the `sos` queue, Status 1)
to that seat being rung for the SOS call (AgentCalled).

Two conditions, SAMPLES each, in the same run: with the ACD running (it moves
the waiting SOS call back into the queue the moment a seat frees, issue 11),
and without it (app_queue's own re-check, `retry = 1`: the baseline).

    python -m bench.sos_reoffer [SAMPLES]
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from bench import common
from testkit.services import RedisServer, ServiceProcess
from testkit.sipp import SippAgent, citizen_scenario
from testkit.waiting import free_port, free_tcp_port

SEATS = ("1001", "1002")
FIRST_HOLD_MS, SECOND_HOLD_MS, SOS_HOLD_MS = 4000, 9000, 6500


def ts(event) -> float:
    return float(event["Timestamp"])


async def call(pbx, workdir: Path, number: str, caller: str, hold_ms: int, voice: bool = False):
    scenario = citizen_scenario(workdir, None, 0, voice_ms=2000 if voice else 0)
    return await common.citizen_call(pbx, workdir, scenario, number, caller, hold_ms)


async def wait_event(ami, start: int, predicate, timeout: float = 30):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        for event in ami.events[start:]:
            if predicate(event):
                return event
        await asyncio.sleep(0.02)
    raise RuntimeError("an expected AMI event never came")


async def sample(pbx, ami, workdir: Path, n: int) -> float:
    start = len(ami.events)
    first = await call(pbx, workdir, "9912345", f"1380000{n:04d}", FIRST_HOLD_MS)
    second = await call(pbx, workdir, "9912345", f"1380001{n:04d}", SECOND_HOLD_MS)
    connected: set[str] = set()

    def both(e) -> bool:
        if e.get("Event") == "AgentConnect" and e.get("Queue") == "hotline":
            connected.add(e.get("MemberName", ""))
        return len(connected) == 2

    await wait_event(ami, start, both)
    elder = f"1390002{n:04d}"
    sos = await call(pbx, workdir, "12349", elder, SOS_HOLD_MS, voice=True)
    joined = await wait_event(ami, start, lambda e: e.get("Event") == "QueueCallerJoin"
                              and e.get("Queue") == "sos")  # fmt: skip
    rung = await wait_event(ami, start, lambda e: e.get("Event") == "AgentCalled"
                            and e.get("Uniqueid") == joined["Uniqueid"])  # fmt: skip
    member = rung["MemberName"]
    freed = [e for e in ami.events[start:] if e.get("Event") == "QueueMemberStatus"
             and e.get("Queue") == "sos" and e.get("MemberName") == member
             and e.get("Status") == "1" and ts(e) <= ts(rung)]  # fmt: skip
    for proc in (first, second, sos):
        await proc.wait()
    await asyncio.sleep(1.5)  # wrap-up over, every channel gone
    return ts(rung) - ts(freed[-1])


async def run(samples: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-sos-"))
    os.environ["YHT_PBX_SOS_ANSWER_S"] = "60"  # never escalates here
    os.environ["YHT_PBX_STATIC_MEMBERS"] = ",".join(SEATS)
    from scripts.pbx import agent_password

    outbox = RedisServer(workdir / "outbox")
    with common.bench_system() as (pbx, _agi):
        outbox.start()
        http_port = free_tcp_port()
        env = {**os.environ, "YHT_ACD_REDIS_PREFIX": f"yht:bench-acd:{os.getpid()}",
               "YHT_ACD_HTTP_PORT": str(http_port), "YHT_ACD_WRAPUP_SECONDS": "1",
               "YHT_ACD_OUTBOX_REDIS_URL": outbox.url,
               "YHT_ACD_TICKETING_URL": f"http://127.0.0.1:{free_tcp_port()}"}  # fmt: skip
        acd = ServiceProcess("acd", env, workdir / "acd.log", f"127.0.0.1:{http_port}")
        phones = [SippAgent(s, agent_password(s), free_port(), pbx.settings.sip_port, workdir)
                  for s in SEATS]  # fmt: skip
        for phone in phones:
            phone.start()
        ami = await common.ami_for(pbx)
        found: dict[str, list[float]] = {"with the ACD": [], "without the ACD (baseline)": []}
        try:
            await asyncio.sleep(2)
            for n in range(samples):
                acd.start()
                await asyncio.sleep(1.0)  # resynced
                found["with the ACD"].append(await sample(pbx, ami, workdir, 2 * n))
                acd.stop()
                found["without the ACD (baseline)"].append(
                    await sample(pbx, ami, workdir, 2 * n + 1)
                )
        finally:
            ami.close()
            acd.stop()
            for phone in phones:
                phone.stop()
            outbox.stop()
    print(f"machine: {common.machine()}; commit {common.git_rev()}")
    print(f"command: python -m bench.sos_reoffer {samples}")
    summary = {}
    for name, values in found.items():
        ms = [v * 1000 for v in values]
        summary[name] = common.median(ms)
        print(
            f"{name:28s} seat freed -> rung for SOS: p50 {common.median(ms):6.0f} ms, "
            f"p99 {common.percentile(ms, 99):6.0f} ms, max {max(ms):6.0f} ms ({len(ms)} calls)"
        )
    with_acd = summary["with the ACD"]
    if with_acd:
        print(f"ratio baseline / ACD (p50): {summary['without the ACD (baseline)'] / with_acd:.1f}")


def main() -> None:
    common.main_with_count(run, 10)


if __name__ == "__main__":
    main()
