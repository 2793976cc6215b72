"""Benchmark (f): a burst of log-ins against the running work-order service.

Two `python -m ticketing` processes on SQLite, measured in the same run:
- hardened: the defaults (at most 2 argon2 checks at once, a log-in waits at
  most 2 s for a turn, then 429);
- baseline: the pre-hardening behaviour (32 checks at once, nobody waits).
Each receives BURST concurrent log-ins with wrong passwords for distinct
accounts (so no account lock-out is involved) while a probe asks `/health`
every 20 ms. Reported per process, median of ROUNDS: the peak resident memory
the burst added (VmHWM), `/health` p50 / p99 during the burst, the burst's
wall time and how many log-ins were answered 401 (checked) vs 429 (shed).

    python -m bench.login_burst [BURST] [ROUNDS]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import machine, median, percentile, stop_on_sigterm
from testkit.waiting import free_tcp_port, stop_process, wait_until

PROFILES = {
    "hardened": {},
    "baseline": {"YHT_TICKETING_PASSWORD_CHECKS": "32", "YHT_TICKETING_PASSWORD_WAIT_S": "60"},
}


def start(profile: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_tcp_port()
    env = {**os.environ, "YHT_TICKETING_DATABASE_URL": f"sqlite:///{workdir}/t.db",
           "YHT_TICKETING_PORT": str(port), "YHT_TICKETING_ADMIN_PASSWORD": "bench-pw-1",
           "YHT_CALLER_HASH_KEY": "bench-key", "YHT_TICKETING_SCAN_INTERVAL_S": "0",
           "YHT_TICKETING_LOGIN_ATTEMPTS_PER_ADDRESS": "100000/minute", **profile}  # fmt: skip
    log = open(workdir / "ticketing.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "ticketing"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _healthy(base), 30, "the work-order API")
    return proc, base


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


async def probe_while(client: httpx.AsyncClient, work) -> list[float]:
    """`/health` latencies (ms), one every 20 ms, while `work()` runs."""
    health: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await client.get("/health")
            health.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.02)

    prober = asyncio.create_task(probe())
    await work()
    done.set()
    await prober
    return health


async def burst(base: str, size: int) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        # one real log-in first: the process has had its first argon2 check
        await client.post("/auth/token", json={"username": "admin", "password": "bench-pw-1"})
        answers: list[httpx.Response] = []

        async def log_ins() -> None:
            answers.extend(await asyncio.gather(*(
                client.post("/auth/token", json={"username": f"u{n}", "password": "wrong"})
                for n in range(size))))  # fmt: skip

        started = time.perf_counter()
        health = await probe_while(client, log_ins)
        wall = time.perf_counter() - started
    codes = [a.status_code for a in answers]
    return {"wall_s": wall, "checked": codes.count(401), "shed": codes.count(429),
            "health_p50": percentile(health, 50), "health_p99": percentile(health, 99)}  # fmt: skip


def one_round(name: str, size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="yht-bench-login-") as tmp:
        proc, base = start(PROFILES[name], Path(tmp))
        try:
            before = peak_rss_mib(proc.pid)
            result = asyncio.run(burst(base, size))
            result["peak_growth_mib"] = peak_rss_mib(proc.pid) - before
            return result
        finally:
            stop_process(proc)


def main() -> None:
    stop_on_sigterm()
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"# log-in burst: {size} concurrent log-ins, {rounds} rounds; {machine()}")
    results = {name: [one_round(name, size) for _ in range(rounds)] for name in PROFILES}
    keys = ("peak_growth_mib", "health_p50", "health_p99", "wall_s", "checked", "shed")
    print("| process | peak memory added | /health p50 | /health p99 | burst wall time |"
          " answered 401 | answered 429 |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    summary = {}
    for name, runs in results.items():
        summary[name] = {k: median([r[k] for r in runs]) for k in keys}
        s = summary[name]
        print(f"| {name} | {s['peak_growth_mib']:.0f} MiB | {s['health_p50']:.1f} ms |"
              f" {s['health_p99']:.1f} ms | {s['wall_s']:.2f} s | {s['checked']:.0f} |"
              f" {s['shed']:.0f} |")  # fmt: skip
    hard, base = summary["hardened"], summary["baseline"]
    print(f"\nratio hardened / baseline: peak memory added"
          f" {hard['peak_growth_mib'] / max(base['peak_growth_mib'], 1):.2f},"
          f" /health p99 {hard['health_p99'] / max(base['health_p99'], 0.001):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
