"""The soak (issue 15): the whole stack of the day (bench/day/stack.py)
under a steady stream of calls for half an hour, at 80 % of the highest rate
the same stack passes in the same run.

    python -m bench.soak [--minutes 30] [--share 0.8] [--rate R] [--hold 6]
                         [--report FILE]

First a search (as bench/front_end_cps.py does, on this stack): steps of
STEP_S seconds of calls at a rate, doubled from 4 calls/s until a step has a
failed call, then bisected to within 10 %; the highest passing rate times
`share` is the soak's rate (or `--rate`, given). Every call goes through the
FastAGI front end into the queue, waits `hold` seconds and hangs up (the
front-end benchmark's call: no key, no voice); no seat is logged in, so each
caller is a missed call (the threshold below which a hang-up is a change of
mind is set to 3 s) and must reach the work-order service through the ACD's
durable outbox as a callback task. One sipp process places them all, each
from its own number. The account afterwards, from the system's records:

- sipp's own counts: calls placed, succeeded, failed (must be 0);
- queue_log as ingested into PostgreSQL: an ENTERQUEUE per call;
- the work-order service's missed-call list: a callback task per call;
- RSS of every process, sampled every 10 s, after warm-up against the end;
  CPU seconds of every process over the soak.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.common import git_rev, highest_passing, machine, stop_on_sigterm
from bench.day.account import growth
from bench.day.stack import Stack, rss_kb, workdir
from testkit.sipp import citizen_scenario
from testkit.waiting import free_port

START_RATE, MAX_RATE, STEP_S = 4.0, 64.0, 10
FIRST_NUMBER = 13_700_000_000


def scenario(work: Path, calls: int, first: int) -> tuple[Path, Path]:
    """The front-end benchmark's call (no key, no voice: bench/front_end_cps.py)
    with a number of its own per call ([field0])."""
    path = citizen_scenario(work, None, 0)
    path.write_text(path.read_text().replace("[caller]", "[field0]"))
    numbers = work / "callers.csv"
    numbers.write_text("SEQUENTIAL\n" + "".join(f"{first + n};\n" for n in range(calls)))
    return path, numbers


SIPP_COUNTS = ("OutgoingCall", "SuccessfulCall", "FailedCall", "FailedMaxUDPRetrans",
               "FailedUnexpectedMessage", "FailedCallRejected")  # fmt: skip


def sipp_counts(stat_file: Path) -> dict[str, int]:
    """sipp's cumulative counters from the last line of its -trace_stat file
    (zeros while it has written none)."""
    try:
        lines = [line for line in stat_file.read_text().splitlines() if line.strip()]
    except FileNotFoundError:
        lines = []
    if len(lines) < 2:
        return dict.fromkeys(SIPP_COUNTS, 0)
    row = dict(zip(lines[0].split(";"), lines[-1].split(";"), strict=False))
    return {name: int(row.get(f"{name}(C)", "0") or 0) for name in SIPP_COUNTS}


async def sample(stack: Stack, rss: dict, started: float, stop: asyncio.Event,
                 acd: list | None = None) -> None:  # fmt: skip
    """Every 10 s: each process's RSS, and (into `acd`) the ACD's AMI events
    waiting to be handled and its deliveries not yet made, from its /health."""
    url = f"http://127.0.0.1:{stack.env['YHT_ACD_HTTP_PORT']}/health"
    async with httpx.AsyncClient(timeout=5) as client:
        while not stop.is_set():
            at = time.monotonic() - started
            for name, pid in stack.pids().items():
                kb = rss_kb(pid)
                if kb is not None:
                    rss.setdefault(name, []).append((at, kb))
            if acd is not None:
                try:
                    health = (await client.get(url)).json()
                except (httpx.HTTPError, ValueError):
                    health = {}
                acd.append((at, health.get("events_waiting"), health.get("backlog", {})))
            await asyncio.sleep(10)


def records(database_url: str, first: int, calls: int) -> dict[str, int]:
    """What the system holds of the soak's callers (numbers first .. first + calls - 1)."""
    low, high = str(first), str(first + calls - 1)
    caller = "split_part(data, '|', 2)"  # ENTERQUEUE: url|callerid|position
    queries = {
        "entered": f"SELECT count(DISTINCT call_id) FROM queue_log_lines WHERE event ="
                   f" 'ENTERQUEUE' AND {caller} BETWEEN :low AND :high",
        "tasks": "SELECT count(*) FROM missed_calls WHERE caller_phone BETWEEN :low AND :high",
    }  # fmt: skip
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(text(sql), {"low": low, "high": high}).scalar() or 0
                    for name, sql in queries.items()}  # fmt: skip
    finally:
        engine.dispose()


async def place(stack: Stack, work: Path, rate: float, calls: int, hold: float,
                first: int, stat_file: Path, timeout_s: float, progress: bool,
                stop_on_failure: bool = False) -> dict:  # fmt: skip
    """`calls` calls at `rate` through one sipp; its final counts and exit code,
    and (with `progress`) its counts minute by minute. `stop_on_failure`: a
    minute with a failed call ends the run there (the soak has failed)."""
    timeline: list[tuple[float, dict[str, int]]] = []
    path, numbers = scenario(work, calls, first)
    proc = await asyncio.create_subprocess_exec(
        "sipp", "-sf", str(path), "-inf", str(numbers), "-i", "127.0.0.1",
        "-p", str(free_port()), "-mp", str(free_port()), "-s", "12345",
        "-d", str(int(hold * 1000)), "-r", str(rate), "-rp", "1000",
        "-m", str(calls), "-l", str(int(rate * (hold + 30))),
        "-trace_stat", "-stf", str(stat_file), "-fd", "10",
        "-timeout", str(int(timeout_s)), "-timeout_error", "-nostdin",
        f"127.0.0.1:{stack.pbx.settings.sip_port}",
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    started = time.monotonic()
    try:
        while proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                if progress:
                    minute, counts = (time.monotonic() - started) / 60, sipp_counts(stat_file)
                    timeline.append((round(minute, 1), counts))
                    print(f"  {minute:5.1f} min: {counts}", flush=True)
                    if stop_on_failure and counts["FailedCall"]:
                        print("  a call failed: the soak stops here", flush=True)
                        break
    finally:
        if proc.returncode is None:  # stopped by its pid, like everything the soak starts
            proc.kill()
            await proc.wait()
    return {**sipp_counts(stat_file), "exit": proc.returncode, "timeline": timeline}


async def search(stack: Stack, work: Path, hold: float) -> tuple[float, list[tuple]]:
    """The highest rate at which a STEP_S-second step has no failed call."""
    steps: list[tuple[float, bool]] = []
    first = FIRST_NUMBER + 5_000_000

    async def passes(rate: float) -> bool:
        nonlocal first
        calls = int(rate * STEP_S)
        counts = await place(stack, work, rate, calls, hold, first,
                             work / f"search-{rate:g}.csv", STEP_S + hold + 60, False)  # fmt: skip
        first += calls
        ok = counts["exit"] == 0 and counts["FailedCall"] == 0
        steps.append((rate, ok))
        print(f"  search: {rate:g} calls/s: {'passes' if ok else 'fails'} {counts}", flush=True)
        await drained(stack)  # the step's callers gone before the next
        return ok

    return await highest_passing(passes, START_RATE, MAX_RATE), steps


async def drained(stack: Stack, timeout_s: float = 300) -> None:
    """Until Asterisk has no channel up, or the count stops falling for 20 s:
    an overloaded step can leave callers whose BYE Asterisk never took (sipp
    gave up on it); they stay in the queue until the queue's timeout."""
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        shown = await asyncio.to_thread(stack.pbx.cli, "core show channels count", False, 15)
        count = int(shown.stdout.split()[0]) if shown.stdout.strip()[:1].isdigit() else None
        if count == 0:
            return
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since > 20:
            print(f"  ({count} channels left up: callers whose hang-up Asterisk never took)",
                  flush=True)  # fmt: skip
            return
        await asyncio.sleep(2)


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def soak(args, stack: Stack, work: Path) -> dict:
    highest, steps = (None, [])
    rate = args.rate
    if rate is None:
        highest, steps = await search(stack, work, args.hold)
        rate = round(highest * args.share, 1)
    calls = int(rate * args.minutes * 60)
    rss: dict[str, list[tuple[float, int]]] = {}
    stop = asyncio.Event()
    started = time.monotonic()
    cpu_before = {name: cpu_seconds(pid) for name, pid in stack.pids().items()}
    acd: list[tuple] = []
    sampler = asyncio.create_task(sample(stack, rss, started, stop, acd))
    print(f"soak: {calls} calls at {rate:g}/s for {args.minutes:g} minutes, each"
          f" holding {args.hold:g} s", flush=True)  # fmt: skip
    counts = await place(stack, work, rate, calls, args.hold, FIRST_NUMBER,
                         work / "soak-stat.csv", args.minutes * 60 + 300, True,
                         stop_on_failure=not args.keep_going)  # fmt: skip
    cpu = {name: cpu_seconds(pid) for name, pid in stack.pids().items()}
    cpu = {name: round(c - cpu_before[name], 1) for name, c in cpu.items()
           if c is not None and cpu_before.get(name) is not None}  # fmt: skip
    print("calls placed; waiting for queue_log and the missed calls to arrive", flush=True)
    database = stack.env["YHT_TICKETING_DATABASE_URL"]
    deadline = time.monotonic() + 300
    found = records(database, FIRST_NUMBER, calls)
    while time.monotonic() < deadline and min(found.values()) < counts["SuccessfulCall"]:
        await asyncio.sleep(10)
        found = records(database, FIRST_NUMBER, calls)
    stop.set()
    await sampler
    return {"calls": calls, "rate": rate, "highest": highest, "steps": steps, "sipp": counts,
            "sipp_exit": counts["exit"], "records": found, "rss": rss, "cpu": cpu,
            "cpu_s": time.monotonic() - started, "acd": acd}  # fmt: skip


def render(args, result: dict) -> str:
    counts, found, rate = result["sipp"], result["records"], result["rate"]
    command = f"python -m bench.soak --minutes {args.minutes:g} --hold {args.hold:g}"
    command += f" --rate {args.rate:g}" if args.rate else f" --share {args.share:g}"
    if result["highest"]:
        how = (f"{rate:g} calls/s = {args.share:.0%} of {result['highest']:g} calls/s, the"
               " highest rate at which a step of the search before the soak, on the same stack,"
               " had no failed call")  # fmt: skip
    else:
        how = f"{rate:g} calls/s, given"
    lines = [
        "# The soak (latest run)", "",
        f"Command: `{command}` (`make soak`), {dt.datetime.now():%Y-%m-%d %H:%M},"
        f" commit {git_rev()}.", "",
        f"Machine: {machine()}.", "",
        f"Rate: {how}. Each call holds {args.hold:g} s in the queue and hangs up; no seat is"
        " logged in, so every call is a missed call with a callback task.", "",
    ]  # fmt: skip
    if result["steps"]:
        lines += [
            f"Search ({STEP_S} s of calls per step): "
            + ", ".join(f"{r:g}/s {'passed' if ok else 'failed'}" for r, ok in result["steps"])
            + ".",
            "",
        ]
    lines += [
        "## Calls", "",
        "| figure | value |", "|---|---|",
        f"| calls to place | {result['calls']} |",
        f"| placed by sipp | {counts['OutgoingCall']} |",
        f"| succeeded (sipp) | {counts['SuccessfulCall']} |",
        f"| **failed (sipp)** | **{counts['FailedCall']}** (no answer in time:"
        f" {counts['FailedMaxUDPRetrans']}, unexpected message:"
        f" {counts['FailedUnexpectedMessage']}) |",
        f"| sipp exit code | {result['sipp_exit']} |",
        f"| the soak's calls in queue_log (ENTERQUEUE, ingested) | {found['entered']} |",
        f"| missed-call tasks for the soak's callers | {found['tasks']} |",
        f"| length of the soak | {result['cpu_s'] / 60:.1f} min |", "",
        "## Minute by minute (sipp's counts)", "",
        "| minute | placed | succeeded | failed |", "|---|---|---|---|",
        *[f"| {m:g} | {c['OutgoingCall']} | {c['SuccessfulCall']} | {c['FailedCall']} |"
          for m, c in counts.get("timeline", [])], "",
        "## CPU and memory (RSS) per process", "",
        "CPU: seconds used during the soak (two cores: at most"
        f" {2 * result['cpu_s']:.0f} s). RSS sampled every 10 s; 'after warm-up' is the median"
        " of the second quarter of the run, 'at the end' the median of the last quarter.", "",
        "| process | CPU s | after warm-up | at the end | growth |", "|---|---|---|---|---|",
    ]  # fmt: skip
    for name in sorted(result["rss"]):
        grown = growth(result["rss"][name])
        if grown is not None:
            early, late, percent = grown
            lines.append(f"| {name} | {result['cpu'].get(name, '-')} | {early / 1024:.0f} MB |"
                         f" {late / 1024:.0f} MB | {percent:+.1f} % |")  # fmt: skip
    return "\n".join(lines + acd_lines(result.get("acd", []))) + "\n"


def acd_lines(samples: list[tuple]) -> list[str]:
    """What the ACD had not yet done, minute by minute: the AMI events read
    but not handled (its bounded queue) and the deliveries to the work-order
    service not yet made (its durable outbox)."""
    if not samples:
        return []
    lines = ["", "## The ACD's backlog (its /health, sampled every 10 s)", "",
             "| minute | AMI events waiting | missed calls to deliver | recordings to deliver |",
             "|---|---|---|---|"]  # fmt: skip
    shown = -1
    for at, events, backlog in samples:
        if int(at // 60) == shown:
            continue
        shown = int(at // 60)
        missed, recording = backlog.get("missed", "-"), backlog.get("recording", "-")
        shown_events = events if events is not None else "-"
        lines.append(f"| {at / 60:.1f} | {shown_events} | {missed} | {recording} |")
    waiting = [e for _, e, _ in samples if e is not None]
    if waiting:
        lines += ["", f"AMI events waiting: at most {max(waiting)}, at the end {waiting[-1]}."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--share", type=float, default=0.8, help="of the highest passing rate")
    parser.add_argument("--rate", type=float, default=None, help="calls/s (no search)")
    parser.add_argument("--hold", type=float, default=6.0, help="seconds in the queue")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="go on after a minute with a failed call (default: stop there)",
    )
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
