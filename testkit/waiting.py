"""Waiting on a condition with a deadline, free ports, stopping a process
by its pid: what every test and benchmark needs."""

from __future__ import annotations

import asyncio
import inspect
import signal
import socket
import subprocess
import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], timeout: float, what: str, step: float = 0.1):
    """Poll until condition() is truthy; return its value or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop_process(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """wait_until inside a coroutine: polls without blocking the event loop
    (AMI events and websocket messages keep arriving meanwhile). The
    condition may be a coroutine function; it is awaited then."""
    deadline = time.monotonic() + timeout

    async def holds() -> bool:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        return bool(value)

    while not await holds():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)
