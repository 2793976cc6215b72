"""make run's supervisor (scripts/processes.py): what exits is started again
after a back-off that doubles, the others ride through, nothing is restarted
that was told to stay down."""

from __future__ import annotations

import subprocess
import sys

from scripts.processes import INITIAL_BACKOFF_S, ProcessSupervisor


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def _crasher() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])


def test_a_process_that_exits_is_started_again_after_a_doubling_backoff_and_the_others_ride_on():
    now = [0.0]
    supervisor = ProcessSupervisor(clock=lambda: now[0])
    try:
        steady = supervisor.add("steady", _sleeper)
        crashing = supervisor.add("crashing", _crasher)
        crashing.process.wait(10)
        supervisor.check()
        assert crashing.last_exit == 3 and crashing.due_at == INITIAL_BACKOFF_S
        supervisor.check()  # not yet due
        assert crashing.restarts == 0
        now[0] = INITIAL_BACKOFF_S
        supervisor.check()
        assert crashing.restarts == 1
        crashing.process.wait(10)
        supervisor.check()
        assert crashing.due_at == now[0] + 2 * INITIAL_BACKOFF_S  # doubled
        assert steady.process.poll() is None and steady.restarts == 0
    finally:
        supervisor.stop()
    assert steady.process.poll() is not None  # stopped by its pid


def test_a_process_kept_down_is_not_started_again():
    supervisor = ProcessSupervisor()
    try:
        down = supervisor.add("down", _crasher, restart=False)
        down.process.wait(10)
        supervisor.check()
        supervisor.check()
        assert down.process is None and down.restarts == 0 and down.last_exit == 3
    finally:
        supervisor.stop()


def test_a_start_that_raises_is_tried_again_later():
    now = [0.0]
    calls = []

    def failing() -> subprocess.Popen:
        calls.append(now[0])
        if len(calls) == 1:
            raise TimeoutError("Asterisk did not finish booting")
        return _sleeper()

    supervisor = ProcessSupervisor(clock=lambda: now[0])
    try:
        item = supervisor.add("switch", failing)
        assert item.process is None and item.due_at == INITIAL_BACKOFF_S
        now[0] = 1.0
        supervisor.check()
        assert item.process is not None and item.process.poll() is None
    finally:
        supervisor.stop()
