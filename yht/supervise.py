"""Long-lived tasks that never die silently.

Each task a service runs forever (an event loop over AMI, a delivery loop,
a periodic job) is started through a Supervisor: an exception is logged with
the task's name and traceback, the task is started again after a pause that
doubles up to `max_backoff_s`, and `health()` says which tasks are running,
restarting or stopped, so the service's `/health` tells the truth.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("yht.supervise")


@dataclass
class TaskState:
    name: str
    running: bool = False
    restarts: int = 0
    last_error: str = ""
    last_error_at: float = 0.0


@dataclass
class Supervisor:
    service: str
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    states: dict[str, TaskState] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task] = field(default_factory=dict)

    def start(self, name: str, job: Callable[[], Awaitable[object]]) -> asyncio.Task:
        """Run `job()` forever; a job that returns is started again too."""
        state = self.states.setdefault(name, TaskState(name))
        task = asyncio.create_task(self._run(state, job), name=f"{self.service}:{name}")
        self._tasks[name] = task
        return task

    async def _run(self, state: TaskState, job: Callable[[], Awaitable[object]]) -> None:
        backoff = self.initial_backoff_s
        while True:
            state.running = True
            started = time.monotonic()
            try:
                await job()
                log.warning("%s: task %s ended; starting it again", self.service, state.name)
            except asyncio.CancelledError:
                state.running = False
                raise
            except Exception as error:
                state.last_error = f"{type(error).__name__}: {error}"[:300]
                state.last_error_at = time.time()
                log.exception("%s: task %s failed; restarting in %.1f s", self.service,
                              state.name, backoff)  # fmt: skip
            state.running = False
            state.restarts += 1
            if time.monotonic() - started > 60:
                backoff = self.initial_backoff_s  # it ran a good while: a fresh failure
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff_s)

    def healthy(self) -> bool:
        return all(state.running for state in self.states.values())

    def health(self) -> dict[str, dict]:
        return {
            name: {"running": s.running, "restarts": s.restarts, "last_error": s.last_error}
            for name, s in self.states.items()
        }

    async def stop(self, grace_s: float = 5.0) -> None:
        """Cancel every task and wait until each has finished, at most
        `grace_s` in all (a task stuck in a shielded call is named, not
        waited for forever)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        _, pending = await asyncio.wait(tasks, timeout=grace_s) if tasks else ((), ())
        for task in pending:
            log.error("%s: task %s did not stop within %.0f s", self.service, task.get_name(),
                      grace_s)  # fmt: skip
        self._tasks.clear()
