"""A hotline day through the real stack, with faults: `make day`.

    python -m bench.day [--calls 2500] [--hours 24] [--compress 48] [--sos 4]
                        [--faults day|one|none] [--report FILE] [--seed N]

The whole system comes up on ports and data of its own (bench/day/stack.py);
seat phones (sipp) log in through their desks as the shift plan (or more,
where Erlang C asks for more) says; callers (sipp) call as the day's
profile says; agents, units, the shift lead and the callback desk work
through the same API the pages use; services are killed at scheduled
moments. Afterwards the account is computed from the system's own records
(bench/day/account.py) and written as a report."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from pathlib import Path

from bench.common import stop_on_sigterm
from bench.day import report
from bench.day.account import account, unfinished
from bench.day.actors import Desk, Tally, back_office, shift_plan, talk_times
from bench.day.media import KEY_AFTER_MS, TALK_S, scenarios_for
from bench.day.people import prepare, seats_by_hour
from bench.day.stack import Stack, rss_kb, seat_names, workdir
from bench.day.traffic import Caller, day_plan
from bench.day.waits import Waits, figures, stays
from testkit.sipp import SippAgent, SippCenter, place_call, seat_audio

FAULTS = {  # when (share of the day), what
    "day": [
        (0.12, "agi"),
        (0.22, "acd"),
        (0.32, "bridge"),
        (0.42, "ticketing"),
        (0.5, "asr"),
        (0.58, "redis"),
        (0.66, "postgres"),
        (0.8, "asterisk"),
    ],
    "one": [(0.5, "acd")],
    "none": [],
}


async def the_day(
    args, stack: Stack, callers: list[Caller], work: Path, tally: Tally, people: dict
) -> dict:
    rng = random.Random(args.seed)
    base = stack.ticketing
    admin, category_unit = people["admin"], people["category_unit"]
    desks_api, apis, handlers = people["desks_api"], people["apis"], people["handlers"]
    center = SippCenter(int(stack.env["YHT_PBX_PARTNER_PORT"]), work)
    center.start()
    from scripts.pbx import agent_password

    phones = [
        SippAgent(
            seat,
            agent_password(seat),
            _free(),
            stack.pbx.settings.sip_port,
            work,
            audio=seat_audio(work, TALK_S) if args.media == "full" else None,
        )
        for seat in stack.seats
    ]
    for phone in phones:
        phone.start()
    calls: list = []
    # a day stopped early (Ctrl-C, SIGTERM) still stops its phones and callers
    stack.extras += [center.stop, *(phone.stop for phone in phones),
                     lambda: [c.stop() for c in calls if c.proc.poll() is None]]  # fmt: skip
    waits = Waits()
    settings = stack.pbx.settings
    await waits.connect(settings.ami_port, settings.ami_observer, stack.pbx.ami_observer_secret)
    stack.extras.append(waits.close)
    talk = talk_times(callers)
    desks = [
        Desk(
            seat,
            desks_api[seat],
            stack.bridge_ws,
            talk,
            args.compress,
            category_unit,
            tally,
            random.Random(rng.random()),
        )
        for seat in stack.seats
    ]
    stop = asyncio.Event()
    started = time.monotonic()
    plan = stack.plan
    rss: dict[str, list[tuple[float, int]]] = {}
    placed_at: dict[str, float] = {}
    faults: list[dict] = []
    restart_window: list[float] = []
    tasks = [asyncio.create_task(d.run(stop)) for d in desks]
    tasks.append(asyncio.create_task(shift_plan(desks, plan, args.compress, started, stop)))
    tasks.append(
        asyncio.create_task(
            back_office(apis, handlers, args.compress, tally, rng, stop, every_s=args.office_every)
        )
    )
    tasks.append(asyncio.create_task(_sample(stack, rss, started, stop)))
    scenarios = scenarios_for(work, args.media == "full")
    redial: list[list] = []  # calls just placed: [index, how, when, tries]
    schedule = sorted(FAULTS[args.faults])
    length_s = args.hours * 3600 / args.compress
    print(
        f"the day: {len(callers)} callers over {args.hours:g} h, compressed {args.compress:g}x:"
        f" {length_s / 60:.1f} minutes; faults: {', '.join(n for _, n in schedule) or 'none'}",
        flush=True,
    )
    await asyncio.sleep(3)  # the desks log in
    last_progress = 0.0
    for caller in callers:
        due = started + 3 + caller.at_s / args.compress
        while time.monotonic() < due:
            _redial(calls, redial, tally)
            now = time.monotonic()
            if schedule and now - started - 3 >= schedule[0][0] * length_s:
                _, name = schedule.pop(0)
                faults.append(await _fault(stack, name, started, restart_window))
            if now - last_progress > 15:
                last_progress = now
                _progress(started, args, calls, tally, faults)
            await asyncio.sleep(min(0.2, max(0.0, due - now)))
        hold_s = (caller.patience_s + caller.talk_s) / args.compress
        scenario, talk_late_ms = scenarios[(caller.key, caller.speaks)]
        # the caller's -d counts from the last key (the talk), not the call's start
        late_ms = (KEY_AFTER_MS if caller.key else 0) + talk_late_ms
        number = ("12345" if caller.registered else "12349") if caller.sos else caller.hotline
        placed_at[caller.number] = time.monotonic()
        dial = dict(
            sip_port=stack.pbx.settings.sip_port,
            number=number,
            caller=caller.number,
            workdir=work,
            hold_ms=max(2000, int(hold_s * 1000) - late_ms),
            scenario=str(scenario),
            timeout_s=int(hold_s + 120),
        )
        calls.append(place_call(**dial))
        redial.append([len(calls) - 1, dial, time.monotonic(), 0])
        _redial(calls, redial, tally)
    while redial:
        _redial(calls, redial, tally)
        await asyncio.sleep(0.2)
    while schedule:  # faults scheduled past the last call
        _, name = schedule.pop(0)
        faults.append(await _fault(stack, name, started, restart_window))
    print("all callers placed; waiting for the calls to end", flush=True)
    deadline = time.monotonic() + max(600, 3 * args.hours * 3600 / args.compress)
    while any(c.proc.poll() is None for c in calls) and time.monotonic() < deadline:
        _progress(started, args, calls, tally, faults)
        await asyncio.sleep(5)
    for call in calls:
        if call.proc.poll() is None:
            call.stop()
    print("calls ended; the back office finishes the day, transcription catches up", flush=True)
    await asyncio.sleep(max(20.0, 4 * args.office_every / args.compress))
    database = stack.env["YHT_TICKETING_DATABASE_URL"]
    deadline = time.monotonic() + args.asr_wait
    while time.monotonic() < deadline:
        left = await asyncio.to_thread(unfinished, database)
        if not left:
            break
        print(f"  {left} recordings still being transcribed", flush=True)
        await asyncio.sleep(10)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for phone in phones:
        phone.register(expires=0)
        phone.stop()
    center.stop()
    for api in [*desks_api.values(), *apis.values(), *handlers.values()]:
        await api.close()
    window = (restart_window[0], restart_window[1]) if len(restart_window) == 2 else None
    found = account(
        stack.env["YHT_TICKETING_DATABASE_URL"], base, admin, callers, window, placed_at,
        outbox_url=stack.outbox.url, prefix=stack.env["YHT_ACD_REDIS_PREFIX"],
        cdr=stack.pbx.dir / "log" / "cdr-csv" / "Master.csv",
    )  # fmt: skip
    found.waits = figures(stays(waits.events), args.compress)
    waits.close()
    exits = Counter(c.proc.returncode for c in calls)
    return {
        "account": found,
        "tally": tally,
        "faults": faults,
        "rss": rss,
        "plan": plan,
        "sipp_exits": exits,
        "length_s": time.monotonic() - started,
    }


def _redial(calls: list, recent: list[list], tally: Tally) -> None:
    """A sipp that could not bind its ports (exit 254: the free port it was
    given was taken meanwhile, by another sipp or an RTP stream) placed no
    call: the citizen dials again, at once (up to three times). Calls up for
    3 s are no longer watched."""
    now = time.monotonic()
    for entry in list(recent):
        index, dial, since, tries = entry
        code = calls[index].proc.poll()
        if code == 254 and tries < 3:
            calls[index] = place_call(**dial)
            entry[2:] = [now, tries + 1]
            tally.counts["sipp could not bind a port: dialled again"] += 1
        elif code is not None or now - since > 3:
            recent.remove(entry)


async def _fault(stack: Stack, name: str, started: float, window: list[float]) -> dict:
    at = time.monotonic() - started
    print(f"  fault at {at / 60:.1f} min: {name}", flush=True)
    if name == "asterisk":
        window.append(time.monotonic())
    down = await asyncio.to_thread(stack.kill, name)
    if name == "asterisk":
        window.append(time.monotonic())
    return {"at_s": round(at, 1), "what": name, "down_s": round(down, 1)}


async def _sample(stack: Stack, rss: dict, started: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, pid in stack.pids().items():
            kb = rss_kb(pid)
            if kb is not None:
                rss.setdefault(name, []).append((time.monotonic() - started, kb))
        await asyncio.sleep(5)


def _progress(started: float, args, calls: list, tally: Tally, faults: list) -> None:
    simulated = (time.monotonic() - started) * args.compress
    up = sum(1 for c in calls if c.proc.poll() is None)
    print(
        f"  {simulated / 3600:5.2f} h simulated: {len(calls)} calls placed, {up} on the line,"
        f" orders written {tally.counts['orders written']}, faults {len(faults)},"
        f" errors {sum(tally.errors.values())}",
        flush=True,
    )


def _free() -> int:
    from testkit.waiting import free_port

    return free_port()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.day")
    parser.add_argument("--calls", type=int, default=2500)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--start-hour", type=int, default=0, help="the hour of day it begins")
    parser.add_argument("--compress", type=float, default=48.0)
    parser.add_argument("--sos", type=int, default=4)
    parser.add_argument("--faults", choices=sorted(FAULTS), default="day")
    parser.add_argument(
        "--office-every",
        type=float,
        default=600.0,
        help="simulated seconds between back-office rounds",
    )
    parser.add_argument("--talk-median", type=float, default=180.0, help="simulated seconds")
    parser.add_argument("--patience-mean", type=float, default=90.0, help="simulated seconds")
    parser.add_argument(
        "--asr-wait",
        type=float,
        default=600.0,
        help="real seconds to let transcription catch up after the calls",
    )
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="the account as JSON too")
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument(
        "--media",
        choices=("light", "full"),
        default="full",
        help="full (default): the seats' phones and speaking callers send audio for the"
        " whole call, every recording the call's length; light: callers only in their"
        " first seconds, seats never (a lighter generator)",
    )
    args = parser.parse_args()
    stop_on_sigterm()  # a stopped day still takes its stack down
    callers = day_plan(
        args.calls,
        args.seed,
        args.hours,
        args.sos,
        talk_median_s=args.talk_median,
        patience_mean_s=args.patience_mean,
        start_hour=args.start_hour,
    )
    work = workdir()
    stack = Stack(work, compress=args.compress)
    stack.plan = seats_by_hour(
        callers, args.hours, stack.wrapup_s * args.compress, start_hour=args.start_hour
    )
    stack.seats = seat_names(max(n for _, n in stack.plan))
    print(f"bringing the stack up in {work}", flush=True)
    try:
        stack.start()
        tally = Tally()
        people = prepare(stack, callers, tally)
        result = asyncio.run(the_day(args, stack, callers, work, tally, people))
    finally:
        stack.stop()
    text = report.render(args, callers, result)
    if args.json:
        args.json.write_text(json.dumps(report.as_json(result), ensure_ascii=False, indent=1))
    target = args.report or work / "day-report.md"
    target.write_text(text)
    print(text)
    print(f"report written to {target}")


if __name__ == "__main__":
    main()
