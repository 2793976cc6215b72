"""Where a service's memory goes, for an operator chasing growth (the soak's
RSS figures, docs/benchmarks.md (q)).

With `YHT_MEMORY_TRACE=<directory>` a service traces its allocations from
start (Python's tracemalloc; off by default: tracing costs CPU and memory),
and each SIGUSR2 writes `<directory>/<name>-<pid>-<n>.txt`: the largest
allocation sites now, and what grew most since the previous dump. Every
service calls install() through yht.logs.setup().

    YHT_MEMORY_TRACE=/tmp/mem make run ...;  kill -USR2 <pid of the ACD>

`YHT_MEMORY_TRACE_SERVICES=acd,ticketing` limits tracing to those services
(the name of the package a service runs as: `python -m acd` is "acd").
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tracemalloc
from pathlib import Path
from types import FrameType

log = logging.getLogger("yht.memory")
FRAMES = 8  # frames kept per allocation: enough to tell the caller
TOP = 30  # sites per section of a dump


class MemoryTrace:
    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name
        self.count = 0
        self.previous: tracemalloc.Snapshot | None = None

    def dump(self) -> Path:
        """Write the current largest sites and the growth since the last dump."""
        ignore = [tracemalloc.Filter(False, tracemalloc.__file__),
                  tracemalloc.Filter(False, __file__)]  # fmt: skip
        snapshot = tracemalloc.take_snapshot().filter_traces(ignore)
        self.count += 1
        path = self.directory / f"{self.name}-{os.getpid()}-{self.count}.txt"
        traced, peak = tracemalloc.get_traced_memory()
        lines = [f"traced {traced / 1e6:.1f} MB (peak {peak / 1e6:.1f} MB), dump {self.count}",
                 "", "## largest sites (by traceback)"]  # fmt: skip
        for stat in snapshot.statistics("traceback")[:TOP]:
            lines.append(f"{stat.size / 1024:10.1f} KiB {stat.count:8d} blocks")
            lines.extend(f"    {line}" for line in stat.traceback.format()[-2 * FRAMES :])
        if self.previous is not None:
            lines += ["", "## growth since the previous dump (by line)"]
            for diff in snapshot.compare_to(self.previous, "lineno")[:TOP]:
                lines.append(f"{diff.size_diff / 1024:+10.1f} KiB {diff.count_diff:+8d} blocks"
                             f"  {diff.traceback[0]}")  # fmt: skip
        self.previous = snapshot
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        return path


def install(name: str | None = None) -> MemoryTrace | None:
    """Start tracing and dump on SIGUSR2, if YHT_MEMORY_TRACE names a directory."""
    directory = os.environ.get("YHT_MEMORY_TRACE")
    if not directory:
        return None
    name = name or Path(sys.argv[0]).parent.name or "python"
    only = os.environ.get("YHT_MEMORY_TRACE_SERVICES", "")
    if only and name not in {s.strip() for s in only.split(",")}:
        return None
    trace = MemoryTrace(Path(directory), name)
    if not tracemalloc.is_tracing():
        tracemalloc.start(FRAMES)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        try:
            log.info("memory trace written to %s", trace.dump())
        except OSError as error:  # a full disk or a bad directory: said, not fatal
            log.error("memory trace not written to %s: %s", directory, error)

    signal.signal(signal.SIGUSR2, on_signal)
    log.info("tracing memory; kill -USR2 %d writes a dump to %s", os.getpid(), directory)
    return trace
