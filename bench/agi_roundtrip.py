"""Benchmark (b): one AGI route, FastAGI (one asyncio process) against a
process-per-call pyst2 script, on the same Asterisk in the same run.

The route is `call_setup` (recognise the caller in Redis, set 7 channel
variables). Asterisk runs it ITERATIONS times in a row on a Local channel and
reports each run's wall time (dialplan STRFTIME around AGI()); this is
repeated ROUNDS times per implementation, alternating, and the medians of the
rounds are compared.

    python -m bench.agi_roundtrip [ITERATIONS] [ROUNDS]
"""

from __future__ import annotations

import asyncio
import sys

from bench.common import ami_for, bench_system, machine, median, percentile, stop_on_sigterm
from testkit.ami import AmiRecorder


async def one_round(ami, control, context: str, iterations: int) -> list[float]:
    """`ami` (the read-only observer) sees the timing events; `control` (the
    ACD's AMI user: the observer may not originate, issue 28 item 18) starts
    the Local channel, and a refused Originate stops the benchmark at once."""
    start = len(ami.events)
    response = await control.action(Action="Originate", Channel=f"Local/{iterations}@{context}/n",
                                    Application="Wait", Data="300", Async="true")  # fmt: skip
    if response.get("Response") != "Success":
        raise SystemExit(f"{context}: Originate refused: {response.get('Message')}")
    route_prefix = "agi://" if context.endswith("fastagi") else "call_setup.py"

    def finished(e) -> bool:
        return e.get("UserEvent") == "YhtBenchAgiDone" and e["Route"].startswith(route_prefix)

    await ami.wait_for("UserEvent", finished, timeout=120)
    samples = [
        float(e["Seconds"]) * 1000
        for e in ami.events[start:]
        if e.get("UserEvent") == "YhtBenchAgi" and e["Route"].startswith(route_prefix)
    ]
    failures = [e for e in ami.events[start:] if e.get("UserEvent") == "YhtBenchAgi"
                and e["Route"].startswith(route_prefix) and e["Status"] != "SUCCESS"]  # fmt: skip
    if failures:
        raise SystemExit(f"{context}: {len(failures)} of {iterations} AGI runs failed")
    if len(samples) < iterations:
        print(f"note: {context}: {len(samples)} of {iterations} timing events received")
    return samples


async def run(iterations: int, rounds: int) -> None:
    with bench_system() as (pbx, _agi):
        ami = await ami_for(pbx)
        control = AmiRecorder("127.0.0.1", pbx.settings.ami_port, pbx.settings.ami_user,
                              pbx.ami_secret)  # fmt: skip
        await control.connect()
        results: dict[str, list[list[float]]] = {"fastagi": [], "pyst2": []}
        await one_round(ami, control, "yht-bench-fastagi", 20)  # warm-up
        await one_round(ami, control, "yht-bench-pyst2", 5)
        for _ in range(rounds):
            for name in ("fastagi", "pyst2"):
                results[name].append(await one_round(ami, control, f"yht-bench-{name}", iterations))
        control.close()
        ami.close()
    print(f"machine: {machine()}")
    print(f"command: python -m bench.agi_roundtrip {iterations} {rounds}")
    summary = {}
    for name, runs in results.items():
        p50 = median([median(r) for r in runs])
        p99 = median([percentile(r, 99) for r in runs])
        summary[name] = p50
        print(f"{name:8s} per-call round trip: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
              f"(median of {rounds} rounds x {iterations} calls)")  # fmt: skip
    print(f"ratio pyst2/fastagi (p50): {summary['pyst2'] / summary['fastagi']:.1f}x")


def main() -> None:
    stop_on_sigterm()
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    asyncio.run(run(iterations, rounds))


if __name__ == "__main__":
    main()
