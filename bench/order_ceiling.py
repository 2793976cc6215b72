"""Benchmark (p): the work-order API's own ceiling. Orders created per second
through `POST /orders` of the real service (log-in token check, numbering,
the event log, the audit entry, the related-request lookups) against a bare
FastAPI + SQLAlchemy service inserting the same row into the same PostgreSQL
(bench/bare_orders.py), in the same run, each a single uvicorn process,
CLIENTS concurrent clients for SECONDS, ROUNDS rounds alternating.

    python -m bench.order_ceiling [SECONDS] [ROUNDS] [CLIENTS,...]
    python -m bench.order_ceiling profile [N]   # where one create spends its time
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time

import httpx
from sqlalchemy import event

from bench.common import machine, median, percentile, stop_on_sigterm
from bench.ticketing_throughput import PASSWORD, URL, fresh_database, login
from testkit.waiting import free_tcp_port, stop_process, wait_until

BODY = {"channel": "phone", "type": "complaint", "subject_code": "heating",
        "content": "小区暖气不热, 室温只有十五度",
        "caller": {"phone": "13800138000", "address": "幸福路12号"}}  # fmt: skip


async def level(base: str, headers: dict, clients: int, seconds: float) -> tuple:
    """(orders/s, p50 ms, p99 ms) with `clients` creating orders for `seconds`."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients + 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post("/orders", headers=headers, json=BODY)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 201:
                    raise RuntimeError(f"POST /orders: {response.status_code} {response.text}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return (
        len(latencies) / elapsed,
        percentile(latencies, 50) * 1000,
        percentile(latencies, 99) * 1000,
    )


def start(module: list[str], env: dict, port: int) -> subprocess.Popen:
    log = tempfile.NamedTemporaryFile(prefix="yht-bench-ceiling-", suffix=".log", delete=False)
    server = subprocess.Popen([sys.executable, "-m", *module], env=env, stdout=log,
                              stderr=subprocess.STDOUT)  # fmt: skip
    wait_until(lambda: _healthy(f"http://127.0.0.1:{port}"), 60, " ".join(module))
    return server


def measure(seconds: float, rounds: int, levels: list[int]) -> None:
    fresh_database()
    service_port, bare_port = free_tcp_port(), free_tcp_port()
    env = {**os.environ, "YHT_TICKETING_DATABASE_URL": URL,
           "YHT_TICKETING_PORT": str(service_port), "YHT_TICKETING_ADMIN_PASSWORD": PASSWORD,
           "YHT_CALLER_HASH_KEY": "bench"}  # fmt: skip
    service = start(["ticketing"], env, service_port)  # migrates the database first
    bare = start(["bench.bare_orders", str(bare_port), URL], env, bare_port)
    results: dict[tuple[str, int], list[tuple]] = {}
    try:
        agent = asyncio.run(_agent(f"http://127.0.0.1:{service_port}"))
        for _ in range(rounds):
            for clients in levels:
                for name, port, headers in (("service", service_port, agent),
                                            ("bare", bare_port, {})):  # fmt: skip
                    found = asyncio.run(level(f"http://127.0.0.1:{port}", headers, clients,
                                              seconds))  # fmt: skip
                    results.setdefault((name, clients), []).append(found)
    finally:
        stop_process(service)
        stop_process(bare)
    print(f"machine: {machine()}, PostgreSQL on 127.0.0.1, one uvicorn process each")
    print(f"command: python -m bench.order_ceiling {seconds:g} {rounds} "
          f"{','.join(map(str, levels))}")  # fmt: skip
    print("| clients | service orders/s | p50 ms | p99 ms | bare orders/s | p50 ms | p99 ms |"
          " service / bare |\n|---|---|---|---|---|---|---|---|")  # fmt: skip
    for clients in levels:
        s = [median([r[i] for r in results[("service", clients)]]) for i in range(3)]
        b = [median([r[i] for r in results[("bare", clients)]]) for i in range(3)]
        print(f"| {clients} | {s[0]:.1f} | {s[1]:.1f} | {s[2]:.1f} | {b[0]:.1f} | {b[1]:.1f} |"
              f" {b[2]:.1f} | **{s[0] / b[0]:.2f}** |")  # fmt: skip


async def _agent(base: str) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        admin = await login(client, "admin", PASSWORD)
        await client.post("/users", headers=admin, json={
            "username": "agent", "display_name": "agent", "role": "agent",
            "password": PASSWORD})  # fmt: skip
        return await login(client, "agent", PASSWORD)


def profile(count: int) -> None:
    """`count` creates in this process (TestClient, same database): the SQL
    statements one create runs and what each costs in the database driver."""
    from fastapi.testclient import TestClient

    from ticketing.app import create_app
    from ticketing.bootstrap import migrate, seed
    from ticketing.database import make_engine
    from ticketing.settings import TicketingSettings

    fresh_database()
    os.environ.update({"YHT_TICKETING_ADMIN_PASSWORD": PASSWORD, "YHT_CALLER_HASH_KEY": "bench"})
    settings = TicketingSettings(database_url=URL)
    migrate(URL)
    engine = make_engine(URL)
    seed(engine, settings)
    app = create_app(settings, engine, scan_in_background=False)
    with TestClient(app) as client:
        admin = client.post("/auth/token", json={"username": "admin", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        user = {"username": "agent", "display_name": "a", "role": "agent", "password": PASSWORD}
        client.post("/users", headers=headers, json=user)
        token = client.post("/auth/token", json={"username": "agent", "password": PASSWORD})
        agent = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for _ in range(20):  # warm-up
            client.post("/orders", headers=agent, json=BODY)
        statements: dict[str, list[float]] = {}

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, many):
            conn.info.setdefault("began", []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, many):
            took = time.perf_counter() - conn.info["began"].pop()
            statements.setdefault(" ".join(statement.split())[:110], []).append(took)

        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            assert client.post("/orders", headers=agent, json=BODY).status_code == 201
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    database = sum(sum(v) for v in statements.values())
    print(f"{count} creates in {elapsed:.2f} s: {elapsed / count * 1000:.2f} ms each"
          f" ({cpu / count * 1000:.2f} ms of this process's CPU, the test client's included);"
          f" {sum(len(v) for v in statements.values()) / count:.1f} SQL statements each,"
          f" {database / count * 1000:.2f} ms of them in the database driver")  # fmt: skip
    print("per create | ms per create | statement")
    for text, times in sorted(statements.items(), key=lambda kv: -sum(kv[1]))[:15]:
        print(f"{len(times) / count:10.1f} | {sum(times) / count * 1000:13.2f} | {text}")


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    stop_on_sigterm()
    if len(sys.argv) > 1 and sys.argv[1] == "profile":
        profile(int(sys.argv[2]) if len(sys.argv) > 2 else 300)
        return
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    levels = [int(c) for c in sys.argv[3].split(",")] if len(sys.argv) > 3 else [1, 8]
    measure(seconds, rounds, levels)


if __name__ == "__main__":
    main()
