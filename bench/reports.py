"""Benchmark (n): a month of a 2,500-calls-a-day center in the reports.

A queue_log for DAYS days is generated (CALLS_A_DAY calls a day over the
day's hours, busier mornings; 88 % answered, waits drawn around 8 s, some
late; 9 % abandoned; 3 % press a key and rejoin; talk 2 to 6 minutes; pauses
and member lines between). Measured, in the same run:

- ingestion: queue_log lines per second into PostgreSQL by the real ingester
  (`ticketing.reports.ingest.ingest`), against a bare parse of the same file
  (`parse` on every line, nothing stored): the baseline;
- the monthly report (`GET /reports/calls`, group=day) and its XLSX export
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
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench import common
from testkit.services import ServiceProcess
from testkit.waiting import free_tcp_port
from ticketing.bootstrap import migrate
from ticketing.database import make_engine, session_factory
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
        params = {"start": "2026-11-01", "end": str(dt.date(2026, 11, 1) + dt.timedelta(days)),
                  "group": "day"}  # fmt: skip
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            page = timed(lambda: client.get("/reports/calls", params=params), repeats)
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
    for label, values in (("monthly report (JSON)", page), ("monthly report (XLSX)", sheet)):
        print(f"{label:24s} p50 {common.median(values):6.0f} ms, p99 "
              f"{common.percentile(values, 99):6.0f} ms ({repeats} requests)")  # fmt: skip


def main() -> None:
    common.stop_on_sigterm()
    given = [int(a) for a in sys.argv[1:4]]
    days, per_day, repeats = given + [30, 2500, 20][len(given) :]
    run(days, per_day, repeats)


if __name__ == "__main__":
    main()
