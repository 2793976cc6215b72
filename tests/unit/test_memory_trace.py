"""The memory trace an operator switches on with YHT_MEMORY_TRACE: SIGUSR2
writes the largest allocation sites, and from the second dump on what grew."""

from __future__ import annotations

import os
import signal
import tracemalloc

from testkit.waiting import wait_until
from yht import memory

kept: list[bytes] = []


def test_sigusr2_writes_the_largest_sites_and_then_the_growth(tmp_path, monkeypatch):
    monkeypatch.setenv("YHT_MEMORY_TRACE", str(tmp_path))
    before = signal.getsignal(signal.SIGUSR2)
    was_tracing = tracemalloc.is_tracing()
    try:
        trace = memory.install("unit")
        assert trace is not None and tracemalloc.is_tracing()
        kept.extend(bytes(50_000) + bytes([n % 256]) for n in range(40))  # ~2 MB here
        os.kill(os.getpid(), signal.SIGUSR2)
        first = tmp_path / f"unit-{os.getpid()}-1.txt"
        wait_until(first.exists, 5, "the first dump")
        text = first.read_text()
        assert "## largest sites" in text and "test_memory_trace.py" in text
        assert "growth since" not in text
        kept.extend(bytes(80_000) + bytes([n % 256]) for n in range(40))  # ~3 MB more
        os.kill(os.getpid(), signal.SIGUSR2)
        second = tmp_path / f"unit-{os.getpid()}-2.txt"
        wait_until(second.exists, 5, "the second dump")
        growth = second.read_text().split("## growth since the previous dump (by line)")[1]
        top = growth.strip().splitlines()[0]
        assert "test_memory_trace.py" in top and top.lstrip().startswith("+"), top
        assert float(top.split()[0]) > 2000  # KiB: the 3 MB this test added
    finally:
        kept.clear()
        signal.signal(signal.SIGUSR2, before)
        if not was_tracing:
            tracemalloc.stop()


def test_without_the_setting_nothing_is_traced(monkeypatch, tmp_path):
    monkeypatch.delenv("YHT_MEMORY_TRACE", raising=False)
    assert memory.install("unit") is None
    # traced only in the services named, where some are
    monkeypatch.setenv("YHT_MEMORY_TRACE", str(tmp_path))
    monkeypatch.setenv("YHT_MEMORY_TRACE_SERVICES", "acd, ticketing")
    assert memory.install("unit") is None
