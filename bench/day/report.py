"""The day's account as a readable report (Markdown): what was offered and
what became of every call, the work orders, the SOS calls, recordings, the
center's figures, the faults and memory, each target met or not."""

from __future__ import annotations

import datetime as dt

from bench.common import machine, percentile
from bench.day.account import growth


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _real(waits: dict, name: str) -> str:
    found = waits.get(name) or {}
    return " / ".join("-" if found.get(k) is None else f"{found[k]:.3f} s" for k in ("p50", "p95"))


def render(args, callers: list, result: dict) -> str:
    a, tally = result["account"], result["tally"]
    calls = a.reports.get("calls", {})
    total = calls.get("total", {}) if isinstance(calls, dict) else {}
    orders = a.reports.get("orders", {})
    rates = orders.get("total", {}) if isinstance(orders, dict) else {}
    missed = orders.get("missed_calls", {}) if isinstance(orders, dict) else {}
    sos_timeout = 15.0
    sos_ok = [
        s
        for s in a.sos
        if (s["answered_s"] is not None and s["answered_s"] <= sos_timeout + 1)
        or (s["center_s"] is not None and s["center_s"] <= sos_timeout + 1 + 30)
    ]
    waits = a.waits or {}
    targets = [
        (
            "15-second answer rate ≥ 95 % (Asterisk's event times)",
            waits.get("rate_in_target"),
            0.95,
        ),
        ("接通率 ≥ 99 %", total.get("connect_rate"), 0.99),
        (
            "missed calls with a callback task = 100 %",
            None
            if not (a.outcomes["abandoned"] + a.outcomes["timeout"])
            else 1 - len(a.missed_without_task) / (a.outcomes["abandoned"] + a.outcomes["timeout"]),
            1.0,
        ),
        (
            "SOS answered or bridged to 120 in time",
            len(sos_ok) / len(a.sos) if a.sos else None,
            1.0,
        ),
    ]
    lines = [
        "# A hotline day through the real stack",
        "",
        f"Command: `python -m bench.day --calls {args.calls} --hours {args.hours:g} "
        f"--start-hour {args.start_hour} "
        f"--compress {args.compress:g} --sos {args.sos} --faults {args.faults} --seed {args.seed}"
        f" --media {args.media}`",
        f"Machine: {machine()}. Date: {dt.date.today()}. The day took "
        f"{result['length_s'] / 60:.1f} minutes; call times are compressed {args.compress:g}x,"
        f" so the 15-second target is {15 / args.compress:.2f} s of real waiting.",
        "",
        "## Every call accounted for (from the system's records)",
        "",
        f"- placed: {a.placed} ({sum(1 for c in callers if c.sos)} SOS)",
        "- outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(a.outcomes.items())),
        f"- **lost** (in no record): {len(a.lost)}"
        + (f" — {', '.join(n[-4:] for n in a.lost[:20])}" if a.lost else ""),
        f"- of the lost, seen by Asterisk (its CDR: the application the call ended in /"
        f" disposition): {len(a.lost_in_cdr)}"
        + (
            " — " + ", ".join(f"{n[-4:]} {v}" for n, v in list(a.lost_in_cdr.items())[:10])
            if a.lost_in_cdr
            else ""
        ),
        f"- lost to the Asterisk restart (placed in its window): {len(a.lost_to_restart)}",
        f"- **answered without a work order**: {len(a.answered_without_order)}"
        + (f" — {', '.join(a.answered_without_order[:20])}" if a.answered_without_order else ""),
        f"- **abandoned without a missed-call task**: {len(a.missed_without_task)}",
        f"- sipp exit codes: {dict(result['sipp_exits'])} (1: the caller's scenario saw the"
        " far end hang up first, as an agent ending the call does; 254: sipp could not bind"
        " its ports and placed no call, after three redials)",
        "",
        "## The center's figures (the reports API)",
        "",
        "| figure | value |",
        "|---|---|",
        f"| offered / answered | {total.get('offered')} / {total.get('answered')} |",
        f"| 15-second answer rate (queue_log's whole seconds)"
        f" | {_pct(total.get('rate_in_target'))} |",
        f"| 接通率 | {_pct(total.get('connect_rate'))} |",
        f"| abandoned (short) | {total.get('abandoned')} ({total.get('short_abandoned')}) |",
        f"| hung up in the menu | {total.get('menu_hangups')} |",
        f"| 响应率 / 办结率 / 满意率 | {_pct(rates.get('response_rate'))} / "
        f"{_pct(rates.get('closure_rate'))} / {_pct(rates.get('satisfaction_rate'))} |",
        f"| missed calls called back | {_pct(missed.get('called_back_share'))} of "
        f"{missed.get('missed')} |",
        "",
        "## Waiting, from Asterisk's event times",
        "",
        "queue_log, which the reports read, gives each wait in whole seconds: a real"
        f" center's resolution, but {args.compress:g}x compressed one second of real waiting"
        f" is {args.compress:g} s of the day. The AMI events' own timestamps"
        " (QueueCallerJoin → AgentConnect / QueueCallerAbandon) give it to the microsecond:",
        "",
        "| figure | value |",
        "|---|---|",
        f"| queue stays offered / answered / short abandons / left with a key |"
        f" {waits.get('offered')} / {waits.get('answered')} / {waits.get('short_abandoned')}"
        f" / {waits.get('left_with_a_key', '-')} |",
        f"| answered within 15 s of the day | {waits.get('answered_in_target')} |",
        f"| 15-second answer rate | {_pct(waits.get('rate_in_target'))} |",
        f"| answered calls' real wait p50 / p95 | {_real(waits, 'wait_real_s')} |",
        f"| the answering seat's real ringing p50 / p95 | {_real(waits, 'ring_real_s')} |",
        "",
        "Why the late answers were late (app_queue looks for a free seat again once a real"
        f" second, {args.compress:g} s of the day; a seat's phone rings and answers in real"
        " time too):",
        "",
        "| late answers | calls |",
        "|---|---|",
        *[
            f"| {name} | {(waits.get('late') or {}).get(key, '-')} |"
            for key, name in (
                ("no_seat_free", "no seat free to ring within 15 s of the day"),
                ("first_seat_did_not_answer", "a seat rung in time did not answer; another did"),
                ("seat_answered_late", "the seat rung in time answered, after 15 s of the day"),
            )
        ],
        "",
        "## Targets",
        "",
        "| target | figure | met |",
        "|---|---|---|",
        *[
            f"| {name} | {_pct(value)} | {'yes' if value is not None and value >= goal else 'no'} |"
            for name, value, goal in targets
        ],
        "",
        "## Work orders, SOS, recordings",
        "",
        "- orders by state: " + ", ".join(f"{k} {v}" for k, v in sorted(a.orders.items())),
        "- what the actors did: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.counts.items())),
        "- errors the actors saw (and retried): "
        + (", ".join(f"{k} {v}" for k, v in sorted(tally.errors.items())) or "none"),
        "- recordings (status/transcription): "
        + (", ".join(f"{k} {v}" for k, v in sorted(a.recordings.items())) or "none"),
        f"- recordings still pending at the end: {a.recordings_queued} with their job queued"
        f" in the outbox stream (not lost: a worker takes them), **{len(a.recordings_stranded)}"
        " with no job** (lost)",
        f"- answered calls whose recording was found without audio: "
        f"**{len(a.answered_without_audio)}**"
        + (
            " (light media: callers send audio only in their first seconds and the seats"
            " none, so a caller who waited longer is recorded as silence)"
            if args.media == "light"
            else ""
        ),
        _shortfall(list(a.recording_shortfall.values())),
        "- SOS recordings (the conference, from the first second): shorter than the call"
        " from its answer by "
        + (", ".join(f"{v:.2f} s" for v in sorted(a.sos_recording_shortfall.values())) or "—"),
        *(
            [f"- transcription failures: {', '.join(sorted(set(a.recordings_failed))[:5])}"]
            if a.recordings_failed
            else []
        ),
        "",
        "| SOS caller | registered | order | answered after | 120 joined after | steps |",
        "|---|---|---|---|---|---|",
        *[
            f"| …{s['caller']} | {s['registered']} | {s['order']} | {s['answered_s']} s |"
            f" {s['center_s']} s | {', '.join(s['steps'])} |"
            for s in a.sos
        ],
        "",
        "## Faults",
        "",
        "| at (min) | what | down (s) |",
        "|---|---|---|",
        *[f"| {f['at_s'] / 60:.1f} | {f['what']} | {f['down_s']} |" for f in result["faults"]],
        "",
        "## Memory (RSS) per process",
        "",
        "| process | after warm-up | at the end | growth |",
        "|---|---|---|---|",
    ]
    for name, samples in sorted(result["rss"].items()):
        found = growth(samples)
        if found:
            lines.append(
                f"| {name} | {found[0] / 1024:.0f} MB | {found[1] / 1024:.0f} MB |"
                f" {found[2]:+.1f} % |"
            )
    lines += [
        "",
        "Shift plan used (simulated hour: seats): "
        + ", ".join(f"{int(at // 3600)}h:{n}" for at, n in result["plan"]),
        "",
    ]
    return "\n".join(lines)


def as_json(result: dict) -> dict:
    """The account's figures, for a test to assert on."""
    a = result["account"]
    calls = a.reports.get("calls", {})
    total = calls.get("total", {}) if isinstance(calls, dict) else {}
    return {
        "placed": a.placed,
        "outcomes": dict(a.outcomes),
        "lost": a.lost,
        "lost_in_cdr": a.lost_in_cdr,
        "lost_to_restart": a.lost_to_restart,
        "answered_without_order": a.answered_without_order,
        "missed_without_task": a.missed_without_task,
        "sos": a.sos,
        "recordings": dict(a.recordings),
        "recordings_failed": a.recordings_failed,
        "recordings_queued": a.recordings_queued,
        "recordings_stranded": a.recordings_stranded,
        "answered_without_audio": a.answered_without_audio,
        "recording_shortfall_s": a.recording_shortfall,
        "sos_recording_shortfall_s": a.sos_recording_shortfall,
        "orders": dict(a.orders),
        "offered": total.get("offered"),
        "answered": total.get("answered"),
        "rate_in_target": total.get("rate_in_target"),
        "waits": a.waits,
        "connect_rate": total.get("connect_rate"),
        "faults": result["faults"],
        "errors": dict(result["tally"].errors),
        "done": dict(result["tally"].counts),
    }


def _shortfall(gaps: list[float]) -> str:
    """How much of the answered calls their recordings lack."""
    if not gaps:
        return "- audio the recordings lack: no answered call was recorded"
    return (
        "- audio the recordings lack (answer to hang-up minus the file's length), per"
        f" answered call: median {percentile(gaps, 50):.2f} s, p90 {percentile(gaps, 90):.2f} s,"
        f" max {max(gaps):.2f} s; **{sum(g > 1.0 for g in gaps)} of {len(gaps)} lack more"
        " than 1 s**"
    )
