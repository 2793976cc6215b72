"""The FastAGI server: panoramisk's route table with a defensive handler.

panoramisk 1.4's own handler spins forever on a connection that closes
before the AGI environment ends and has no deadline per call; this one
reads the environment with a timeout and a size limit, gives every call a
deadline, and logs exactly one line per call with its outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from panoramisk.fast_agi import Application

from agi.channel import AgiChannel, AgiError, AgiHangup
from yht.privacy import mask_number

log = logging.getLogger("agi.calls")
MAX_ENV_LINES = 200


class Report:
    """What a route tells the call's log line (any object with a useful str())."""

    def __init__(self) -> None:
        self.outcome: object = ""


Endpoint = Callable[[AgiChannel, Report], Awaitable[None]]


class MalformedEnvironment(Exception):
    pass


async def read_environment(reader: asyncio.StreamReader) -> dict[str, str]:
    """The `agi_name: value` lines Asterisk sends first, up to the blank line."""
    env: dict[str, str] = {}
    for _ in range(MAX_ENV_LINES):
        raw = await reader.readline()
        if not raw:
            raise MalformedEnvironment("connection closed inside the AGI environment")
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if "agi_network_script" not in env:
                raise MalformedEnvironment("no agi_network_script")
            return env
        name, sep, value = line.partition(": ")
        if not sep or not name.startswith("agi_"):
            raise MalformedEnvironment(f"not an AGI variable line: {line[:40]!r}")
        env[name] = value
    raise MalformedEnvironment("AGI environment too long")


class FastAgiServer(Application):
    def __init__(self, call_deadline_s: float, header_timeout_s: float) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self.call_deadline_s = call_deadline_s
        self.header_timeout_s = header_timeout_s
        self.calls_handled = 0
        self.active: set[asyncio.Task] = set()
        # (route, outcome) -> calls, and the connections refused (for /metrics)
        self.outcomes: dict[tuple[str, str], int] = {}
        self.rejected = 0

    async def drain(self, timeout: float) -> None:
        """Let calls in progress finish (bounded) before the process exits."""
        if self.active:
            await asyncio.wait(set(self.active), timeout=timeout)

    def add_endpoint(self, name: str, endpoint: Endpoint) -> None:
        self.add_route(name, endpoint)

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.active.add(task)
        try:
            await self._handle(reader, writer)
        finally:
            self.active.discard(task)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        try:
            env = await asyncio.wait_for(read_environment(reader), self.header_timeout_s)
        except (TimeoutError, MalformedEnvironment, ValueError, asyncio.LimitOverrunError) as exc:
            log.warning("rejected connection from %s: %s", _peer(writer), exc or "timeout")
            self.rejected += 1
            await _close(writer)
            return
        route = env["agi_network_script"].split("?", 1)[0].strip("/")
        channel = AgiChannel(env, reader, writer)
        report = Report()
        status = "ok"
        endpoint = self._route.get(route)
        try:
            if endpoint is None:
                status = "unknown-route"
            else:
                async with asyncio.timeout(self.call_deadline_s):
                    await endpoint(channel, report)
        except AgiHangup:
            status = "caller-hangup"
        except TimeoutError:
            status = "deadline"
        except AgiError as exc:
            status = f"agi-error({exc})"
        except Exception:
            status = "crashed"
            log.exception("route %s crashed", route)
        finally:
            self.calls_handled += 1
            kind = (route if endpoint is not None else "unknown", status.split("(", 1)[0])
            self.outcomes[kind] = self.outcomes.get(kind, 0) + 1
            await _close(writer)
        log.info(
            "call=%s route=%s caller=%s status=%s %s ms=%d",
            channel.unique_id or "-", route or "-", mask_number(channel.caller_number) or "-",
            status, report.outcome, (time.monotonic() - started) * 1000,
        )  # fmt: skip


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if peer else "?"


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


def figures(server: FastAgiServer) -> dict:
    """/metrics: calls per route and outcome, calls in progress, refused connections."""
    return {
        "yht_agi_calls": ("counter", "FastAGI calls handled, per route and outcome",
                          [({"route": r, "outcome": o}, float(n))
                           for (r, o), n in sorted(server.outcomes.items())]),
        "yht_agi_active_calls": ("gauge", "FastAGI calls in progress",
                                 [({}, float(len(server.active)))]),
        "yht_agi_rejected_connections": ("counter", "connections refused (no AGI environment)",
                                         [({}, float(server.rejected))]),
    }  # fmt: skip
