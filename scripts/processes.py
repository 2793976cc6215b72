"""`make run`'s processes under one watch: Asterisk and every Python service
alike. One that exits is logged with its exit code and started again after a
back-off (0.5 s, doubling to 30 s; back to 0.5 s once it has run a minute);
the others ride through. Everything is stopped by its own process id."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("yht.run")
INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
STEADY_S = 60.0  # a process that ran this long fails afresh: the back-off starts over


@dataclass
class Watched:
    """One supervised process: how to start it, how to stop it, its record."""

    name: str
    start: Callable[[], subprocess.Popen]
    stop: Callable[[subprocess.Popen], None]
    restart: bool = True  # False: left down when it exits (YHT_RUN_NO_RESTART)
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = INITIAL_BACKOFF_S
    due_at: float | None = None  # when a process that exited is started again
    last_exit: int | None = None


@dataclass
class ProcessSupervisor:
    watched: dict[str, Watched] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic

    def add(self, name: str, start: Callable[[], subprocess.Popen],
            stop: Callable[[subprocess.Popen], None] | None = None,
            restart: bool = True) -> Watched:  # fmt: skip
        item = Watched(name, start, stop or _terminate, restart)
        self.watched[name] = item
        self._start(item)
        return item

    def _start(self, item: Watched) -> None:
        item.due_at = None
        try:
            item.process = item.start()
        except Exception as error:  # a start that fails is tried again, later
            item.process = None
            item.last_exit = None
            item.due_at = self.clock() + item.backoff_s
            log.error("%s failed to start (%s: %s); again in %.1f s", item.name,
                      type(error).__name__, str(error)[:200], item.backoff_s)  # fmt: skip
            item.backoff_s = min(item.backoff_s * 2, MAX_BACKOFF_S)
            return
        item.started_at = self.clock()

    def check(self) -> None:
        """One look at every process: restart what exited once its back-off is over."""
        now = self.clock()
        for item in self.watched.values():
            if item.due_at is not None:
                if now >= item.due_at:
                    item.restarts += 1
                    log.warning("starting %s again (restart %d)", item.name, item.restarts)
                    self._start(item)
                continue
            if item.process is None or item.process.poll() is None:
                continue
            item.last_exit = item.process.returncode
            if not item.restart:
                log.warning("%s exited (code %s); not restarted (YHT_RUN_NO_RESTART)",
                            item.name, item.last_exit)  # fmt: skip
                item.process = None
                continue
            if now - item.started_at >= STEADY_S:
                item.backoff_s = INITIAL_BACKOFF_S
            item.due_at = now + item.backoff_s
            log.warning("%s exited (code %s); starting it again in %.1f s; the others go on",
                        item.name, item.last_exit, item.backoff_s)  # fmt: skip
            item.backoff_s = min(item.backoff_s * 2, MAX_BACKOFF_S)

    def stop(self) -> None:
        """Stop every process, the last added first, each by its own pid."""
        for item in reversed(list(self.watched.values())):
            item.due_at = None
            if item.process is not None and item.process.poll() is None:
                try:
                    item.stop(item.process)
                except Exception:
                    log.exception("stopping %s failed; killing it", item.name)
                    item.process.kill()
                    item.process.wait(timeout=10)


def _terminate(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
