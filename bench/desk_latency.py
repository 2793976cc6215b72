"""Benchmark (d): screen-pop latency and seat-map fan-out through the bridge.

Real processes: `python -m ticketing` (SQLite, for logging in) and
`python -m softphone_bridge`, real Redis, real websocket clients.

Screen-pop: an in-process ACD (acd.service.Acd, publishing to Redis as in
production) is handed AgentCalled events; the latency is from handing it the
event to the screen_pop message arriving at that agent's websocket. Measured
with 1 connected agent (baseline) and with AGENTS connected agents, each
receiving POPS pops, one pop every 20 ms. Not included: Asterisk writing the
event to the AMI socket and panoramisk parsing it (loopback, well under 1 ms).

Seat map: LEADS shift-lead pages connected; SEATS simulated seats change state
as fast as the ACD can publish; reported: updates delivered per second to each
page and the bridge's CPU time per 1,000 updates (from /proc).

    python -m bench.desk_latency [AGENTS] [POPS] [SEATS] [LEADS]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from redis.asyncio import Redis
from websockets.asyncio.client import connect

from acd.service import Acd
from acd.settings import DATA_DIR
from acd.store import AcdStore, Seat
from bench.common import machine, median, percentile, stop_on_sigterm
from testkit.waiting import free_tcp_port, stop_process, wait_until

PASSWORD = "bench-desk-password"


class NoAmi:
    async def send_action(self, action, as_list=None):
        return {"Response": "Success"}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def users(base: str, agents: int, leads: int) -> tuple[list[str], list[str]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        admin = (await client.post("/auth/token", json={"username": "admin",
                                                         "password": PASSWORD})).json()  # fmt: skip
        headers = {"Authorization": f"Bearer {admin['access_token']}"}
        sem = asyncio.Semaphore(8)

        async def make(name: str, role: str, seat: str | None) -> str:
            async with sem:
                await client.post("/users", headers=headers, json={
                    "username": name, "display_name": name, "role": role, "seat": seat,
                    "password": PASSWORD})  # fmt: skip
                token = await client.post("/auth/token", json={"username": name,
                                                                "password": PASSWORD})  # fmt: skip
                return token.json()["access_token"]

        agent_tokens = await asyncio.gather(*(make(f"a{i}", "agent", str(20000 + i))
                                              for i in range(agents)))  # fmt: skip
        lead_tokens = await asyncio.gather(*(make(f"l{i}", "shift_lead", None)
                                             for i in range(leads)))  # fmt: skip
    return list(agent_tokens), list(lead_tokens)


_opening = asyncio.Semaphore(20)  # pages open 20 at a time, as a shift starting does


async def open_socket(url: str, token: str):
    async with _opening:
        return await _open_socket(url, token)


async def _open_socket(url: str, token: str):
    ws = await connect(url, max_queue=None)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    while json.loads(await ws.recv())["type"] != "snapshot":
        pass
    return ws


async def pop_latencies(url: str, acd: Acd, tokens: list[str], pops: int) -> list[float]:
    sockets = await asyncio.gather(*(open_socket(url, t) for t in tokens))
    sent: dict[str, float] = {}
    latencies: list[float] = []
    expected = len(tokens) * pops

    async def reader(ws) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "screen_pop":
                latencies.append(time.perf_counter() - sent[message["call_id"]])

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    for round_ in range(pops):
        for i in range(len(tokens)):
            call_id = f"{round_}.{i}"
            sent[call_id] = time.perf_counter()
            await acd.on_event({"Event": "AgentCalled", "Queue": "hotline", "Uniqueid": call_id,
                                "Interface": f"PJSIP/agent{20000 + i}",
                                "ChanVariable": ["YHT_CALLER=13800138000",
                                                 "YHT_CATEGORY=general"]})  # fmt: skip
            acd.seat(str(20000 + i)).state = "ready"  # next round rings it again
            await asyncio.sleep(0.02)
    deadline = time.monotonic() + 10
    while len(latencies) < expected and time.monotonic() < deadline:  # noqa: ASYNC110 (bounded poll)
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    if len(latencies) < expected:
        raise RuntimeError(f"only {len(latencies)} of {expected} pops arrived")
    return latencies


async def seat_map(url: str, store: AcdStore, tokens: list[str], seats: int,
                   bridge_pid: int) -> tuple[float, float]:  # fmt: skip
    sockets = await asyncio.gather(*(open_socket(url, t) for t in tokens))
    counts = [0] * len(sockets)
    updates = seats * 5

    async def reader(k: int, ws) -> None:
        async for raw in ws:
            if json.loads(raw)["type"] == "seat":
                counts[k] += 1

    readers = [asyncio.create_task(reader(k, ws)) for k, ws in enumerate(sockets)]
    cpu0, started = cpu_seconds(bridge_pid), time.perf_counter()
    states = ["ready", "ringing", "talking", "wrapup", "paused"]
    for n in range(updates):
        await store.save_seat(Seat(agent_id=str(30000 + n % seats), state=states[n % 5],
                                   since=time.time()))  # fmt: skip
    deadline = time.monotonic() + 60
    while min(counts) < updates and time.monotonic() < deadline:  # noqa: ASYNC110 (bounded poll)
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(bridge_pid) - cpu0
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    return min(counts) / elapsed, cpu / (updates / 1000)


@contextlib.contextmanager
def services(prefix: str):
    """The work-order API (for logging in) and the bridge, stopped by pid."""
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-desk-"))
    api_port, ws_port = free_tcp_port(), free_tcp_port()
    env = {**os.environ, "YHT_TICKETING_DATABASE_URL": f"sqlite:///{workdir}/t.db",
           "YHT_TICKETING_PORT": str(api_port), "YHT_TICKETING_ADMIN_PASSWORD": PASSWORD,
           "YHT_CALLER_HASH_KEY": "bench", "YHT_BRIDGE_PORT": str(ws_port),
           "YHT_BRIDGE_ACD_PREFIX": prefix, "YHT_BRIDGE_ACD_URL": "http://127.0.0.1:9",
           "YHT_BRIDGE_TICKETING_URL": f"http://127.0.0.1:{api_port}"}  # fmt: skip
    procs: list[subprocess.Popen] = []
    with open(workdir / "services.log", "wb") as log:
        try:
            probes = (("ticketing", f"http://127.0.0.1:{api_port}/health"),
                      ("softphone_bridge", f"http://127.0.0.1:{ws_port}/desk"))  # fmt: skip
            for module, probe in probes:
                procs.append(subprocess.Popen([sys.executable, "-m", module], env=env,
                                              stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
                wait_until(lambda probe=probe: _up(probe), 30, module)
            yield f"http://127.0.0.1:{api_port}", f"ws://127.0.0.1:{ws_port}/", procs[1].pid
        finally:
            for proc in reversed(procs):
                stop_process(proc)


async def measure(api: str, url: str, bridge_pid: int, prefix: str, agents: int, pops: int,
                  seats: int, leads: int) -> tuple[list, list, list, list]:  # fmt: skip
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        agent_tokens, lead_tokens = await users(api, agents, leads)
        store = AcdStore(redis, prefix)
        acd = Acd(NoAmi(), store, DATA_DIR / "skills.yaml", 0)
        base = await pop_latencies(url, acd, agent_tokens[:1], pops * 5)
        full = await pop_latencies(url, acd, agent_tokens, pops)
        rates, cpus = [], []
        for _ in range(3):
            rate, cpu = await seat_map(url, store, lead_tokens, seats, bridge_pid)
            rates.append(rate)
            cpus.append(cpu)
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    return base, full, rates, cpus


def report(agents: int, pops: int, seats: int, leads: int, base, full, rates, cpus) -> None:
    print(f"machine: {machine()}")
    print(f"command: python -m bench.desk_latency {agents} {pops} {seats} {leads}")
    print("screen-pop latency, AgentCalled handed to the ACD -> message at the agent's websocket")
    for label, values in ((f"1 agent connected ({len(base)} pops)", base),
                          (f"{agents} agents connected ({len(full)} pops)", full)):  # fmt: skip
        print(f"  {label}: p50 {percentile(values, 50) * 1000:.2f} ms,"
              f" p99 {percentile(values, 99) * 1000:.2f} ms")  # fmt: skip
    print(f"  ratio p99 {agents} agents / 1 agent:"
          f" {percentile(full, 99) / percentile(base, 99):.2f}")  # fmt: skip
    print(f"seat map, {seats} seats x 5 changes, {leads} shift-lead pages, 3 runs:")
    print(f"  updates delivered per page: {median(rates):.0f}/s (runs {[round(r) for r in rates]})")
    print(f"  bridge CPU per 1,000 updates: {median(cpus) * 1000:.0f} ms"
          f" (runs {[round(c * 1000) for c in cpus]})")  # fmt: skip


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    stop_on_sigterm()
    given = [int(a) for a in sys.argv[1:5]]
    agents, pops, seats, leads = given + [200, 5, 1000, 5][len(given) :]
    prefix = f"yht:bench:{uuid.uuid4().hex[:8]}"
    with services(prefix) as (api, url, bridge_pid):
        results = asyncio.run(measure(api, url, bridge_pid, prefix, agents, pops, seats, leads))
    report(agents, pops, seats, leads, *results)


if __name__ == "__main__":
    main()
