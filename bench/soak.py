"""The soak (issue 15): the whole stack of the day (bench/day/stack.py)
under a steady stream of calls for half an hour, at 80 % of the highest
rate the front-end benchmark passed (bench/front_end_cps.py, docs/benchmarks.md
(b): 22 calls/s on this machine).

    python -m bench.soak [--minutes 30] [--rate 17.6] [--hold 6] [--report FILE]

Every call goes through the FastAGI front end into the queue, waits `hold`
seconds and hangs up: no seat is logged in, so each caller is a missed call
(the threshold below which a hang-up is a change of mind is set to 3 s), and
each must reach the work-order service through the ACD's durable outbox as
a callback task. One sipp process places them all, at a fixed rate, each
from its own number. The account afterwards, from the system's records:

- sipp's own counts: calls placed, succeeded, failed (must be 0);
- queue_log as ingested into PostgreSQL: an ENTERQUEUE per call;
- the work-order service's missed-call list: a callback task per call;
- RSS of every process, sampled every 10 s: after warm-up against the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import git_rev, machine, stop_on_sigterm
from bench.day.account import growth
from bench.day.stack import Stack, rss_kb, workdir
from testkit.sipp import citizen_scenario
from testkit.waiting import free_port

HIGHEST_FRONT_END_CPS = 22.0  # docs/benchmarks.md (b), FastAGI front end
FIRST_NUMBER = 13_700_000_000


def scenario(work: Path, calls: int) -> tuple[Path, Path]:
    """The front-end benchmark's call (no key, no voice: bench/front_end_cps.py)
    with a number of its own per call ([field0])."""
    path = citizen_scenario(work, None, 0)
    path.write_text(path.read_text().replace("[caller]", "[field0]"))
    numbers = work / "callers.csv"
    numbers.write_text("SEQUENTIAL\n" + "".join(f"{FIRST_NUMBER + n};\n" for n in range(calls)))
    return path, numbers


def sipp_counts(stat_file: Path) -> dict[str, int]:
    """sipp's cumulative counters from the last line of its -trace_stat file."""
    lines = [line for line in stat_file.read_text().splitlines() if line.strip()]
    header, last = lines[0].split(";"), lines[-1].split(";")
    row = dict(zip(header, last, strict=False))
    return {
        name: int(row.get(f"{name}(C)", "0") or 0)
        for name in (
            "OutgoingCall",
            "SuccessfulCall",
            "FailedCall",
            "FailedMaxUDPRetrans",
            "FailedUnexpectedMessage",
            "FailedCallRejected",
        )
    }


async def sample(stack: Stack, rss: dict, started: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, pid in stack.pids().items():
            kb = rss_kb(pid)
            if kb is not None:
                rss.setdefault(name, []).append((time.monotonic() - started, kb))
        await asyncio.sleep(10)


def records(database_url: str) -> dict[str, int]:
    """What the system holds of the soak's calls (its database holds nothing else)."""
    queries = {
        "entered": "SELECT count(DISTINCT call_id) FROM queue_log_lines WHERE event = 'ENTERQUEUE'",
        "abandoned": "SELECT count(DISTINCT call_id) FROM queue_log_lines WHERE event = 'ABANDON'",
        "tasks": "SELECT count(*) FROM missed_calls",
    }
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(text(sql)).scalar() or 0 for name, sql in queries.items()}
    finally:
        engine.dispose()


async def soak(args, stack: Stack, work: Path) -> dict:
    calls = int(args.rate * args.minutes * 60)
    path, numbers = scenario(work, calls)
    stat_file = work / "soak-stat.csv"
    rss: dict[str, list[tuple[float, int]]] = {}
    stop = asyncio.Event()
    started = time.monotonic()
    sampler = asyncio.create_task(sample(stack, rss, started, stop))
    print(f"soak: {calls} calls at {args.rate:g}/s for {args.minutes:g} minutes, each"
          f" holding {args.hold:g} s", flush=True)  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(path), "-inf", str(numbers), "-i", "127.0.0.1",
        "-p", str(free_port()), "-mp", str(free_port()), "-s", "12345",
        "-d", str(int(args.hold * 1000)), "-r", str(args.rate), "-rp", "1000",
        "-m", str(calls), "-l", str(int(args.rate * (args.hold + 30))),
        "-trace_stat", "-stf", str(stat_file), "-fd", "10",
        "-timeout", str(int(args.minutes * 60 + 300)), "-timeout_error", "-nostdin",
        f"127.0.0.1:{stack.pbx.settings.sip_port}",
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                counts = sipp_counts(stat_file) if stat_file.exists() else {}
                print(f"  {(time.monotonic() - started) / 60:5.1f} min: {counts}", flush=True)
    finally:
        if proc.returncode is None:  # stopped by its pid, like everything the soak starts
            proc.kill()
            await proc.wait()
    counts = sipp_counts(stat_file)
    print("calls placed; waiting for queue_log and the missed calls to arrive", flush=True)
    database = stack.env["YHT_TICKETING_DATABASE_URL"]
    deadline = time.monotonic() + 300
    found = records(database)
    wanted = counts["SuccessfulCall"]
    while time.monotonic() < deadline and min(found["tasks"], found["entered"]) < wanted:
        await asyncio.sleep(10)
        found = records(database)
    stop.set()
    await sampler
    return {"calls": calls, "sipp": counts, "sipp_exit": proc.returncode, "records": found,
            "rss": rss, "length_s": time.monotonic() - started}  # fmt: skip


def render(args, result: dict) -> str:
    counts, found = result["sipp"], result["records"]
    lines = [
        "# The soak (latest run)", "",
        f"Command: `python -m bench.soak --minutes {args.minutes:g} --rate {args.rate:g}"
        f" --hold {args.hold:g}` (`make soak`), {dt.datetime.now():%Y-%m-%d %H:%M},"
        f" commit {git_rev()}.", "",
        f"Machine: {machine()}.", "",
        f"Rate: {args.rate:g} calls/s = {args.rate / HIGHEST_FRONT_END_CPS:.0%} of the highest"
        f" rate the front-end benchmark passed ({HIGHEST_FRONT_END_CPS:g} calls/s). Each call"
        f" holds {args.hold:g} s in the queue and hangs up; no seat is logged in, so every"
        " call is a missed call with a callback task.", "",
        "## Calls", "",
        "| figure | value |", "|---|---|",
        f"| calls to place | {result['calls']} |",
        f"| placed by sipp | {counts['OutgoingCall']} |",
        f"| succeeded (sipp) | {counts['SuccessfulCall']} |",
        f"| **failed (sipp)** | **{counts['FailedCall']}** |",
        f"| sipp exit code | {result['sipp_exit']} |",
        f"| calls in queue_log (ENTERQUEUE, ingested) | {found['entered']} |",
        f"| abandoned in queue_log | {found['abandoned']} |",
        f"| missed-call tasks for the soak's callers | {found['tasks']} |",
        f"| length of the run | {result['length_s'] / 60:.1f} min |", "",
        "## Memory (RSS) per process", "",
        "RSS sampled every 10 s; 'after warm-up' is the median of the second quarter of the"
        " run, 'at the end' the median of the last quarter.", "",
        "| process | after warm-up | at the end | growth |", "|---|---|---|---|",
    ]  # fmt: skip
    for name in sorted(result["rss"]):
        grown = growth(result["rss"][name])
        if grown is not None:
            early, late, percent = grown
            lines.append(f"| {name} | {early / 1024:.0f} MB | {late / 1024:.0f} MB |"
                         f" {percent:+.1f} % |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=round(0.8 * HIGHEST_FRONT_END_CPS, 1))
    parser.add_argument("--hold", type=float, default=6.0, help="seconds in the queue")
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    stop_on_sigterm()
    work = workdir()
    # a caller gone after 3 s in the queue is a missed call (not a change of mind)
    stack = Stack(work, compress=1.0, menu_missed_s=3.0)
    print(f"bringing the stack up in {work}", flush=True)
    try:
        stack.start()
        result = asyncio.run(soak(args, stack, work))
    finally:
        stack.stop()
    text_out = render(args, result)
    target = args.report or work / "soak-report.md"
    target.write_text(text_out)
    print(text_out)
    print(f"report written to {target}")


if __name__ == "__main__":
    main()
