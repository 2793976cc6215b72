"""The account of the day, from the system's own records (the day's
PostgreSQL: queue_log as ingested, work orders and the calls that fed them,
missed-call tasks, SOS calls and their timelines, recordings) and the
reports API. The generator's list of callers is used only to look each call
up: a placed call found in no record is lost."""

from __future__ import annotations

import csv
import datetime as dt
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from sqlalchemy import create_engine, text

from bench.day.traffic import Caller


@dataclass
class Account:
    placed: int = 0
    outcomes: Counter = field(default_factory=Counter)  # by the system's records
    lost: list[str] = field(default_factory=list)  # placed, in no record
    # a lost caller's number -> what Asterisk's CDR says of its call (the
    # application it ended in, its disposition), when Asterisk saw it at all
    lost_in_cdr: dict[str, str] = field(default_factory=dict)
    lost_to_restart: list[str] = field(default_factory=list)
    answered_without_order: list[str] = field(default_factory=list)
    missed_without_task: list[str] = field(default_factory=list)
    sos: list[dict] = field(default_factory=list)
    recordings: Counter = field(default_factory=Counter)
    recordings_failed: list[str] = field(default_factory=list)
    # pending at the end: their job still in the outbox stream (queued), or not (stranded)
    recordings_queued: int = 0
    recordings_stranded: list[str] = field(default_factory=list)
    # a seat answered, yet the recording was found without audio (the
    # twelfth day's defect: files read before MixMonitor closed them)
    answered_without_audio: list[str] = field(default_factory=list)
    # per answered call: seconds of the call (answer to hang-up) that its
    # recording lacks (a starved switch writes less than it bridged)
    recording_shortfall: dict[str, float] = field(default_factory=dict)  # call id -> s
    # the same for SOS calls, whose conference is recorded from the first second
    # (MixMonitor writes only the frames the channel carries)
    sos_recording_shortfall: dict[str, float] = field(default_factory=dict)
    orders: Counter = field(default_factory=Counter)
    reports: dict = field(default_factory=dict)
    rates: dict = field(default_factory=dict)
    waits: dict = field(default_factory=dict)  # from Asterisk's event times (bench/day/waits.py)


def shortfall_s(began: dt.datetime, ended: dt.datetime, length_s: float | None) -> float:
    """Seconds of an answered call (answer to hang-up) its recording lacks."""
    return round(max(0.0, (ended - began).total_seconds() - (length_s or 0.0)), 2)


def unfinished(database_url: str) -> int:
    """Recordings not yet transcribed (nor failed): the day is not over."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return (
                conn.execute(
                    text("SELECT count(*) FROM recordings WHERE asr_status = 'pending'")
                ).scalar()
                or 0
            )
    finally:
        engine.dispose()


def _callers_by_call(conn) -> dict[str, str]:
    """call id -> the caller's number, from queue_log's own lines."""
    found: dict[str, str] = {}
    for call_id, event, data in conn.execute(
        text(
            "SELECT call_id, event, data FROM queue_log_lines "
            "WHERE event IN ('ENTERQUEUE', 'IVRHANGUP')"
        )
    ):
        fields = data.split("|")
        index = 1 if event == "ENTERQUEUE" else 3
        if len(fields) > index and fields[index]:
            found.setdefault(call_id, fields[index])
    return found


def account(
    database_url: str,
    api: str,
    headers: dict,
    callers: list[Caller],
    restart_window: tuple[float, float] | None,
    placed_at: dict[str, float],
    outbox_url: str = "",
    prefix: str = "",
    cdr: Path | None = None,
) -> Account:
    """`placed_at`: each caller's number -> the monotonic-clock moment the
    call was placed; `restart_window`: Asterisk's restart, same clock.
    `outbox_url`, `prefix`: the durable outbox whose stream holds the
    transcription jobs not yet done; `cdr`: Asterisk's CDR file, read for
    the lost calls only."""
    out = Account(placed=len(callers))
    engine = create_engine(database_url)
    with engine.connect() as conn:
        caller_of = _callers_by_call(conn)
        calls_of: dict[str, list[str]] = {}
        for call_id, number in caller_of.items():
            calls_of.setdefault(number, []).append(call_id)
        stays = {}
        for call_id, outcome, wait_s in conn.execute(
            text("SELECT call_id, outcome, wait_s FROM queue_calls ORDER BY entered_at, id")
        ):
            stays[call_id] = (outcome, wait_s)  # the last stay of the call decides
        ordered = {r[0] for r in conn.execute(text("SELECT DISTINCT call_id FROM order_calls"))}
        tasks = {r[0] for r in conn.execute(text("SELECT call_id FROM missed_calls"))}
        sos_rows = {
            r[0]: r
            for r in conn.execute(
                text("SELECT caller_phone, id, call_id, order_id, created_at FROM sos_calls")
            )
        }
        sos_steps: dict[int, dict[str, dt.datetime]] = {}
        for sos_id, kind, at, detail in conn.execute(
            text("SELECT sos_call_id, kind, at, detail FROM sos_events ORDER BY at")
        ):
            name = "center" if kind == "joined" and detail.startswith("120 ") else kind
            sos_steps.setdefault(sos_id, {}).setdefault(name, at)
        queued = queued_jobs(outbox_url, prefix) if outbox_url else set()
        for call_id, status, asr, note, seat, began, ended, length, kind in conn.execute(
            text(
                "SELECT call_id, status, asr_status, asr_note, seat, started_at, ended_at,"
                " duration_s, kind FROM recordings"
            )
        ):
            out.recordings[f"{status}/{asr}"] += 1
            if status == "missing" and seat:
                out.answered_without_audio.append(call_id)
            if seat and began is not None and ended is not None:
                into = out.sos_recording_shortfall if kind == "sos" else out.recording_shortfall
                into[call_id] = shortfall_s(began, ended, length)
            if asr in ("failed", "skipped"):
                out.recordings_failed.append(note or "(no reason given)")
            elif asr == "pending" and call_id in queued:
                out.recordings_queued += 1
            elif asr == "pending":
                out.recordings_stranded.append(call_id)
        for state, count in conn.execute(
            text("SELECT state, count(*) FROM work_orders GROUP BY state")
        ):
            out.orders[state] = count
    engine.dispose()
    for caller in callers:
        if caller.sos:
            row = sos_rows.get(caller.number)
            if row is None:
                _lost(out, caller, restart_window, placed_at)
                continue
            steps = sos_steps.get(row[1], {})
            began = steps.get("start", row[4])
            out.sos.append(
                {
                    "caller": caller.number[-4:],
                    "registered": caller.registered,
                    "order": row[3] is not None,
                    "answered_s": _seconds(steps.get("answered"), began),
                    "center_s": _seconds(steps.get("center"), began),
                    "steps": sorted(steps),
                }
            )
            out.outcomes["sos"] += 1
            continue
        found = calls_of.get(caller.number, [])
        if not found:
            _lost(out, caller, restart_window, placed_at)
            continue
        outcome = stays.get(found[-1], ("menu", None))[0]
        out.outcomes[outcome] += 1
        if outcome == "answered" and not any(c in ordered for c in found):
            out.answered_without_order.append(found[-1])
        if outcome in ("abandoned", "timeout") and not any(c in tasks for c in found):
            out.missed_without_task.append(found[-1])
    if cdr is not None and out.lost:
        seen = cdr_calls(cdr)
        out.lost_in_cdr = {n: seen[n] for n in out.lost if n in seen}
    out.reports = _reports(api, headers)
    return out


def cdr_calls(path: Path) -> dict[str, str]:
    """caller number -> "lastapp/disposition" of its last CDR (cdr_csv's
    Master.csv: src is the second column, lastapp the eighth, disposition the
    fifteenth). Tells a lost call Asterisk took and ended before the front
    end answered from one that never reached it."""
    found: dict[str, str] = {}
    if not path.exists():
        return found
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.reader(handle):
            if len(row) >= 15 and row[1]:
                found[row[1]] = f"{row[7]}/{row[14]}"
    return found


def queued_jobs(url: str, prefix: str) -> set[str]:
    """The calls whose transcription job is still in the outbox stream (not
    yet taken, or taken and not finished: an entry leaves the stream only
    when its delivery is done)."""
    client = redis.Redis.from_url(url, socket_timeout=10)
    try:
        found = set()
        for _, fields in client.xrange(f"{prefix}:outbox:transcribe"):
            item = json.loads(fields[b"item"])
            found.add(str(item.get("call_id", "")))
        return found
    finally:
        client.close()


def _lost(out: Account, caller: Caller, window, placed_at: dict[str, float]) -> None:
    at = placed_at.get(caller.number)
    if window and at is not None and window[0] - 120 <= at <= window[1]:
        out.lost_to_restart.append(caller.number)
    else:
        out.lost.append(caller.number)


def _seconds(at, began) -> float | None:
    return round((at - began).total_seconds(), 1) if at is not None and began else None


def _reports(api: str, headers: dict) -> dict:
    """The reports of the reports issue for the day (the whole database is
    the day's: its dates are taken wide). 办结率 counts the orders whose time
    limit ends in the period: the orders' period reaches past every limit
    the day's orders can have (five working days), so that each is counted."""
    today = dt.date.today()
    period = {"start": str(today - dt.timedelta(days=1)), "end": str(today + dt.timedelta(days=2))}
    limits = {**period, "end": str(today + dt.timedelta(days=21))}
    found = {}
    for name, path, params in (
        ("calls", "/reports/calls", period),
        ("orders", "/reports/orders", limits),
        ("topics", "/reports/topics", {"day": str(today)}),
    ):
        try:
            response = httpx.get(f"{api}{path}", headers=headers, params=params, timeout=30)
            found[name] = response.json() if response.status_code == 200 else response.text
        except httpx.HTTPError as error:
            found[name] = str(error)
    return found


def growth(samples: list[tuple[float, int]]) -> tuple[int, int, float] | None:
    """(RSS after warm-up, at the end, growth %) from (t, kB) samples: the
    median of the second quarter against the median of the last."""
    if len(samples) < 8:
        return None
    quarter = len(samples) // 4
    early = statistics.median(kb for _, kb in samples[quarter : 2 * quarter])
    late = statistics.median(kb for _, kb in samples[-quarter:])
    return int(early), int(late), round((late - early) / early * 100, 1) if early else 0.0
