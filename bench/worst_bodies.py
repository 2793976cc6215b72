"""Benchmark (t): another client's latency while the worst bodies arrive.

One `python -m ticketing` process on SQLite. A probe asks `/health` every
20 ms; measured in the same run, first quiet (the baseline), then while
CONCURRENT senders post, for ROUNDS rounds each, the bodies outside testing
found (issue 28, 1): 90,000 unknown keys to `/auth/token` (0.98 MB), a list
of 480,000 integers to `/orders` (logged in), 150 schema errors, a lone
surrogate. Reported: `/health` p50 / p99 quiet and under the bodies, the
difference of the p99s (goal: < 100 ms), and the largest answer a body got.

    python -m bench.worst_bodies [CONCURRENT] [ROUNDS]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

import httpx

from bench.common import machine, percentile, stop_on_sigterm
from bench.login_burst import probe_while, start
from testkit.waiting import stop_process

JSON = {"Content-Type": "application/json"}


def bodies() -> list[tuple[str, bytes, bool]]:
    """(path, body, needs a token) of each hostile body."""
    keys = json.dumps({f"{n:x}": 0 for n in range(90_000)}, separators=(",", ":"))
    ints = json.dumps({"assist_unit_ids": [0] * 480_000}, separators=(",", ":"))
    errors = json.dumps(
        {"channel": "phone", "type": "complaint", "content": "x", "assist_unit_ids": ["x"] * 150}
    )
    surrogate = b'{"content": "\\u8bf713822223333 \\ud800"}'
    return [
        ("/auth/token", keys.encode(), False),
        ("/orders", ints.encode(), True),
        ("/orders", errors.encode(), True),
        ("/auth/token", surrogate, False),
    ]


async def run(base: str, concurrent: int, rounds: int) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        login = await client.post(
            "/auth/token", json={"username": "admin", "password": "bench-pw-1"}
        )
        token = {"Authorization": f"Bearer {login.json()['access_token']}"}
        hostile = bodies()
        largest = 0

        async def quiet() -> None:
            await asyncio.sleep(3)

        async def sender() -> None:
            nonlocal largest
            for _ in range(rounds):
                for path, body, logged_in in hostile:
                    headers = {**JSON, **(token if logged_in else {})}
                    answer = await client.post(path, content=body, headers=headers)
                    largest = max(largest, len(answer.content))

        async def attack() -> None:
            await asyncio.gather(*(sender() for _ in range(concurrent)))

        calm = await probe_while(client, quiet)
        under = await probe_while(client, attack)
    return {"quiet": calm, "under": under, "largest": largest}


def main() -> None:
    stop_on_sigterm()
    concurrent = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"# worst bodies: {concurrent} senders x {rounds} rounds of 4 bodies; {machine()}")
    with tempfile.TemporaryDirectory(prefix="yht-bench-bodies-") as tmp:
        proc, base = start({}, Path(tmp))
        try:
            result = asyncio.run(run(base, concurrent, rounds))
        finally:
            stop_process(proc)
    quiet, under = result["quiet"], result["under"]
    print("| /health | samples | p50 | p99 |\n|---|---|---|---|")
    for name, values in (("quiet (baseline)", quiet), ("under the bodies", under)):
        print(
            f"| {name} | {len(values)} | {percentile(values, 50):.1f} ms |"
            f" {percentile(values, 99):.1f} ms |"
        )
    print(
        f"\np99 under / quiet: {percentile(under, 99) / max(percentile(quiet, 99), 0.001):.2f};"
        f" difference {percentile(under, 99) - percentile(quiet, 99):.1f} ms (goal < 100 ms);"
        f" largest answer {result['largest']} bytes"
    )


if __name__ == "__main__":
    main()
