"""Benchmark (n): a month of a 2,500-calls-a-day center in the reports.

A queue_log for DAYS days is generated (CALLS_A_DAY calls a day over the
day's hours, busier mornings; 88 % answered, waits drawn around 8 s, some
late; 9 % abandoned; 3 % press a key and rejoin; talk 2 to 6 minutes; pauses
and member lines between). Measured, in the same run:

- the same for the calls' CDRs (a Master.csv with the citizen's and the
  seat's leg of each call), and a work order for most calls (with dispatch,
  accept and close events and a callback verdict), which the report's 三率,
  subjects and written part read;
- ingestion: queue_log lines per second into PostgreSQL by the real ingester
  (`ticketing.reports.ingest.ingest`), against a bare parse of the same file
  (`parse` on every line, nothing stored): the baseline;
- the monthly report (`GET /reports/calls`, group=day), the four requests
  the report page sends at once (calls with the 三率 per unit, seats,
  topics, staffing: the page is ready when the last answers), and its XLSX
  export
  through the real work-order API (`python -m ticketing` on that database),
  REPEATS times each: p50 and p99.

The database is a scratch one on the machine's PostgreSQL (created and
dropped here).

    python -m bench.reports [DAYS] [CALLS_A_DAY] [REPEATS]
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench import common
from testkit.services import ServiceProcess
from testkit.waiting import free_tcp_port
from ticketing.bootstrap import migrate
from ticketing.database import make_engine, session_factory
from ticketing.reports import cdr
from ticketing.reports.ingest import ingest, parse

ADMIN = "bench-admin-password"
START = dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.UTC)  # 2026-11-01 00:00 Beijing


def month_of_calls(path: Path, days: int, per_day: int) -> int:
    rng = random.Random(2026)
    lines: list[tuple[int, str]] = []
    hours = [0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1.5,
             1, 0.5]  # fmt: skip
    for day in range(days):
        base = int(START.timestamp()) + day * 86400
        for n in range(per_day):
            hour = rng.choices(range(24), hours)[0]
            at = base + hour * 3600 + rng.randrange(3600)
            call, hotline = f"{at}.{day}{n}", rng.choice(["12345", "12345", "96010", "89000"])
            queue = "hotline" if rng.random() < 0.9 else "dialect"
            lines.append((at, f"{at}|{call}|{queue}|NONE|ENTERQUEUE|{hotline}|138{n:08d}|1"))
            fate = rng.random()
            if fate < 0.03:  # a key, then back in the queue
                lines.append((at + 5, f"{at + 5}|{call}|{queue}|NONE|EXITWITHKEY|2|1|1|5"))
                at += 6
                lines.append((at, f"{at}|{call}|{queue}|NONE|ENTERQUEUE|{hotline}|138{n:08d}|1"))
            wait = int(rng.expovariate(1 / 8))
            if 0.03 <= fate < 0.09:
                lines.append((at + wait, f"{at + wait}|{call}|{queue}|NONE|ABANDON|1|1|{wait}"))
                continue
            agent = f"agent{1001 + rng.randrange(40)}"
            talk = rng.randrange(120, 360)
            lines.append(
                (at + wait, f"{at + wait}|{call}|{queue}|{agent}|CONNECT|{wait}|{call}b|2")
            )
            end = at + wait + talk
            lines.append((end, f"{end}|{call}|{queue}|{agent}|COMPLETECALLER|{wait}|{talk}|1"))
            if n % 50 == 0:
                lines.append((at, f"{at}|MANAGER|{queue}|{agent}|PAUSE|break"))
    # by time, and in the order Asterisk writes them within a second
    # (ENTERQUEUE before a CONNECT of the same second): a stable sort
    lines.sort(key=lambda item: item[0])
    path.write_text("".join(f"{line}\n" for _, line in lines))
    return len(lines)


def month_of_cdrs(queue_log: Path, path: Path) -> int:
    """One CDR of the citizen's leg per call of the queue_log (cdr_csv's
    columns), and one of the seat's leg per answered call."""
    rows = []
    tail = '"{start}","{start}","{start}",200,200,"ANSWERED","DOCUMENTATION"'
    for raw in queue_log.read_text().splitlines():
        at, call, _, agent, event, *data = raw.split("|")
        start = dt.datetime.fromtimestamp(int(at), dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        times = tail.format(start=start)
        if event == "ENTERQUEUE":
            rows.append(f'"","{data[1]}","s","yht-hotline",""""" <{data[1]}>",'
                        f'"PJSIP/citizen-trunk-{call}","","Queue","hotline",{times},'
                        f'"{call}","{data[0]}"')  # fmt: skip
        elif event == "CONNECT":
            rows.append(f'"","","{agent}","yht-agents","","PJSIP/{agent}-{call}","","Dial","",'
                        f'{times},"{call}b",""')  # fmt: skip
    path.write_text("".join(f"{row}\n" for row in rows))
    return len(rows)


CONTENTS = ("小区暖气不热, 室温只有十四度", "路灯不亮, 晚上出行不便", "楼下餐馆油烟扰民",
            "自来水发黄, 请尽快检修", "道路井盖缺失, 存在安全隐患", "噪音扰民, 夜间施工",
            "公交站牌损坏", "垃圾清运不及时", "物业收费不合理", "违章停车堵塞消防通道")  # fmt: skip
STREETS = ("朝阳街道", "建设路街道", "和平街道", "新华街道", "东风街道")


def month_of_orders(url: str, days: int, per_day: int) -> int:
    """A work order for most calls (88 %), dispatched, mostly accepted and
    closed in time, most called back: what the 三率 and the subjects read."""
    from sqlalchemy import insert, select

    from ticketing.callbacks.models import CallbackTask
    from ticketing.orders.models import OrderEvent, WorkOrder
    from ticketing.orgs.models import Subject, Unit

    rng = random.Random(13)
    engine = make_engine(url)
    with engine.begin() as conn:
        subjects = list(conn.scalars(select(Subject.code)))
        units = list(conn.scalars(select(Unit.id)))
    number = 0
    verdicts = ("satisfied", "satisfied", "basic", "unsatisfied")

    def event(order: int, at: dt.datetime, action: str, was: str, now: str, unit: int) -> dict:
        return {"order_id": order, "at": at, "action": action, "from_state": was,
                "to_state": now, "unit_id": unit}  # fmt: skip

    for day in range(days):
        orders, events, callbacks = [], [], []
        base = START + dt.timedelta(days=day)
        for _ in range(int(per_day * 0.88)):
            number += 1
            created = base + dt.timedelta(seconds=rng.randrange(86400))
            unit = rng.choice(units)
            closed = created + dt.timedelta(hours=rng.expovariate(1 / 40))
            orders.append({
                "id": number, "number": f"{created:%Y%m%d}-{number:06d}", "channel": "phone",
                "type": "complaint", "subject_code": rng.choice(subjects),
                "content": rng.choice(CONTENTS), "state": "closed", "unit_id": unit,
                "address": f"{rng.choice(STREETS)}{number % 90}号", "created_at": created,
                "updated_at": closed, "due_at": created + dt.timedelta(days=3),
                "closed_at": closed,
            })  # fmt: skip
            sent = created + dt.timedelta(minutes=10)
            events.append(event(number, sent, "dispatch", "case", "dispatched", unit))
            if rng.random() < 0.95:
                accepted = sent + dt.timedelta(hours=rng.expovariate(1 / 6))
                events.append(event(number, accepted, "accept", "dispatched", "processing", unit))
            events.append(event(number, closed, "close", "feedback", "closed", unit))
            if rng.random() < 0.9:
                callbacks.append({"order_id": number, "unit_id": unit, "status": "done",
                                  "verdict": rng.choice(verdicts), "created_at": closed,
                                  "done_at": closed + dt.timedelta(hours=3)})  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(WorkOrder.__table__), orders)
            conn.execute(insert(OrderEvent.__table__), events)
            conn.execute(insert(CallbackTask.__table__), callbacks)
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('work_orders_id_seq', :n)"), {"n": number})
    engine.dispose()
    return number


def database(name: str) -> str:
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def timed(get, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = get()
        response.raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(days: int, per_day: int, repeats: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-reports-"))
    queue_log = workdir / "queue_log"
    count = month_of_calls(queue_log, days, per_day)
    started = time.perf_counter()
    with open(queue_log, "rb") as handle:
        parsed = sum(1 for raw in handle if parse(raw) is not None)
    bare = time.perf_counter() - started
    name = f"yht_bench_{os.getpid()}"
    url = database(name)
    migrate(url)
    engine = make_engine(url)
    started = time.perf_counter()
    taken = ingest(session_factory(engine), [queue_log])
    ingested = time.perf_counter() - started
    master = workdir / "Master.csv"
    records = month_of_cdrs(queue_log, master)
    started = time.perf_counter()
    with open(master, "rb") as handle:
        cdr_parsed = sum(1 for raw in handle if cdr.parse(raw) is not None)
    cdr_bare = time.perf_counter() - started
    started = time.perf_counter()
    cdr_taken = ingest(session_factory(engine), [master])
    cdr_ingested = time.perf_counter() - started
    engine.dispose()
    port = free_tcp_port()
    env = {**os.environ, "YHT_TICKETING_DATABASE_URL": url, "YHT_TICKETING_PORT": str(port),
           "YHT_TICKETING_ADMIN_PASSWORD": ADMIN, "YHT_CALLER_HASH_KEY": "bench",
           "YHT_TICKETING_SCAN_INTERVAL_S": "0"}  # fmt: skip
    api = ServiceProcess("ticketing", env, workdir / "ticketing.log",
                         f"http://127.0.0.1:{port}/health")  # fmt: skip
    api.start()
    try:
        base = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": ADMIN})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        orders = month_of_orders(url, days, per_day)  # after the service seeded units, subjects
        params = {"start": "2026-11-01", "end": str(dt.date(2026, 11, 1) + dt.timedelta(days)),
                  "group": "day"}  # fmt: skip
        last = str(dt.date(2026, 11, 1) + dt.timedelta(days - 1))
        period = {k: params[k] for k in ("start", "end")}
        # what the page asks for at once (reports.js): the calls (with the
        # 三率 per unit), the seats, the last day's hot topics and staffing
        one_day = {"day": last}
        asked = [("/reports/calls", params), ("/reports/seats", period),
                 ("/reports/topics", one_day), ("/reports/staffing", one_day)]  # fmt: skip
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client, \
                ThreadPoolExecutor(len(asked)) as pool:  # fmt: skip

            def whole_page() -> httpx.Response:
                answers = list(pool.map(lambda a: client.get(a[0], params=a[1]), asked))
                for answer in answers:
                    answer.raise_for_status()
                return answers[0]

            page = timed(lambda: client.get("/reports/calls", params=params), repeats)
            every = timed(whole_page, repeats)
            offered = client.get("/reports/calls", params=params).json()["total"]["offered"]
            sheet = timed(lambda: client.get("/reports/calls.xlsx", params=params), repeats)
    finally:
        api.stop()
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"DROP DATABASE IF EXISTS {name}"], check=False)  # fmt: skip
    print(f"machine: {common.machine()}; commit {common.git_rev()}")
    print(f"command: python -m bench.reports {days} {per_day} {repeats}")
    print(f"{days} days x {per_day} calls: {count} queue_log lines, {offered} calls offered")
    print(f"bare parse              {parsed / bare:10.0f} lines/s")
    print(f"ingestion (PostgreSQL)  {taken.lines / ingested:10.0f} lines/s "
          f"({ingested:.1f} s for {taken.lines} lines)")  # fmt: skip
    print(f"ratio ingestion / bare parse: {bare / ingested:.3f}")
    print(f"CDR: {records} lines; bare parse {cdr_parsed / cdr_bare:10.0f} lines/s, ingestion "
          f"{cdr_taken.lines / cdr_ingested:10.0f} lines/s ({cdr_ingested:.1f} s), ratio "
          f"{cdr_bare / cdr_ingested:.3f}")  # fmt: skip
    print(f"work orders: {orders} (with their dispatch, accept and close events and callbacks)")
    for label, values in (("monthly report (JSON)", page), ("the page's 4 requests", every),
                          ("monthly report (XLSX)", sheet)):  # fmt: skip
        print(f"{label:24s} p50 {common.median(values):6.0f} ms, p99 "
              f"{common.percentile(values, 99):6.0f} ms ({repeats} requests)")  # fmt: skip


def main() -> None:
    common.stop_on_sigterm()
    given = [int(a) for a in sys.argv[1:4]]
    days, per_day, repeats = given + [30, 2500, 20][len(given) :]
    run(days, per_day, repeats)


if __name__ == "__main__":
    main()
