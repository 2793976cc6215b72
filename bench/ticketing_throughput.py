"""Benchmark (c): work orders created, dispatched and closed per second.

A real `python -m ticketing` (uvicorn, one process) on PostgreSQL, driven over
HTTP by CLIENTS concurrent asyncio clients. Each client repeats the loop
create → register → dispatch → accept → feedback → close (six requests, three
users) for SECONDS. Reported per concurrency level: completed loops per
second and the p50 / p99 latency of single requests, each the median of
ROUNDS rounds; ratios are against one client, measured in the same run.

    python -m bench.ticketing_throughput [SECONDS] [ROUNDS] [CLIENTS,...]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time

import httpx

from bench.common import machine, median, percentile, stop_on_sigterm
from testkit.waiting import free_tcp_port, stop_process, wait_until

DATABASE = "yht_bench"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"
PASSWORD = "bench-password-1"


def fresh_database() -> None:
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qd", "postgres", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {DATABASE}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {DATABASE}"], check=True)


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict:
    response = await client.post("/auth/token", json={"username": username, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def make_users(client: httpx.AsyncClient) -> tuple[dict, dict, dict, int]:
    admin = await login(client, "admin", PASSWORD)
    units = (await client.get("/units", headers=admin)).json()
    unit = next(u["id"] for u in units if u["code"] == "dept-urban")
    for name, role, unit_id in (("agent", "agent", None), ("lead", "shift_lead", None),
                                ("handler", "unit_handler", unit)):  # fmt: skip
        await client.post("/users", headers=admin, json={
            "username": name, "display_name": name, "role": role, "unit_id": unit_id,
            "password": PASSWORD})  # fmt: skip
    return (await login(client, "agent", PASSWORD), await login(client, "lead", PASSWORD),
            await login(client, "handler", PASSWORD), unit)  # fmt: skip


async def one_loop(client, agent, lead, handler, unit, latencies: list[float],
                   by_action: dict[str, list[float]]) -> None:  # fmt: skip
    async def call(headers, method: str, url: str, body: dict) -> dict:
        started = time.perf_counter()
        response = await client.request(method, url, headers=headers, json=body)
        latencies.append(time.perf_counter() - started)
        by_action.setdefault(body.get("action", "create"), []).append(latencies[-1])
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")
        return response.json()

    order = await call(agent, "POST", "/orders", {
        "channel": "phone", "type": "complaint", "subject_code": "heating",
        "content": "小区暖气不热, 室温只有十五度",
        "caller": {"phone": "13800138000", "address": "幸福路12号"}})  # fmt: skip
    steps = [(agent, "register", {}), (agent, "dispatch", {"unit_id": unit}),
             (handler, "accept", {}), (handler, "feedback", {"note": "已修复"}),
             (lead, "close", {})]  # fmt: skip
    for headers, action, extra in steps:
        order = await call(headers, "POST", f"/orders/{order['id']}/transitions",
                           {"action": action, "version": order["version"], **extra})  # fmt: skip


async def setup_users(base: str) -> tuple:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        return await make_users(client)


async def level(
    base: str, users: tuple, clients: int, seconds: float
) -> tuple[float, float, float]:
    latencies: list[float] = []
    by_action: dict[str, list[float]] = {}
    loops = 0
    limits = httpx.Limits(max_connections=clients + 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        agent, lead, handler, unit = users
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal loops
            while time.perf_counter() < deadline:
                await one_loop(client, agent, lead, handler, unit, latencies, by_action)
                loops += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    if os.environ.get("YHT_BENCH_DETAIL"):
        p99 = {a: round(percentile(v, 99) * 1000, 1) for a, v in by_action.items()}
        print(f"  {clients} clients, p99 ms by action:", p99, flush=True)
    return loops / elapsed, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000


def main() -> None:
    stop_on_sigterm()
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    levels = [int(c) for c in sys.argv[3].split(",")] if len(sys.argv) > 3 else [1, 4, 16]
    fresh_database()
    port = free_tcp_port()
    env = {**os.environ, "YHT_TICKETING_DATABASE_URL": URL, "YHT_TICKETING_PORT": str(port),
           "YHT_TICKETING_ADMIN_PASSWORD": PASSWORD, "YHT_CALLER_HASH_KEY": "bench"}  # fmt: skip
    log = tempfile.NamedTemporaryFile(prefix="yht-bench-ticketing-", suffix=".log", delete=False)
    server = subprocess.Popen([sys.executable, "-m", "ticketing"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    results: dict[int, list[tuple[float, float, float]]] = {c: [] for c in levels}
    try:
        wait_until(lambda: _healthy(base), 60, "the work-order API")
        users = asyncio.run(setup_users(base))
        for _ in range(rounds):
            for clients in levels:
                results[clients].append(asyncio.run(level(base, users, clients, seconds)))
    finally:
        stop_process(server)
    print(f"machine: {machine()}, PostgreSQL on 127.0.0.1, one uvicorn process")
    print(f"command: python -m bench.ticketing_throughput {seconds:g} {rounds} "
          f"{','.join(map(str, levels))}")  # fmt: skip
    baseline = median([r[0] for r in results[levels[0]]])
    print("clients | loops/s (median) | requests/s | p50 ms | p99 ms | loops/s vs 1 client")
    for clients in levels:
        rate = median([r[0] for r in results[clients]])
        p50 = median([r[1] for r in results[clients]])
        p99 = median([r[2] for r in results[clients]])
        print(f"{clients:7d} | {rate:16.1f} | {rate * 6:10.1f} | {p50:6.1f} | {p99:6.1f} |"
              f" {rate / baseline:.2f}x")  # fmt: skip


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
