"""AMI as tests and benchmarks see it: every event recorded, waited for by
name and predicate."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from panoramisk import Manager


def chan_vars(event, prefix: str = "ChanVariable") -> dict[str, str]:
    """An AMI event's ChanVariable (or DestChanVariable) headers as a dict."""
    raw = event.get(prefix) or []
    if isinstance(raw, str):
        raw = [raw]
    return dict(item.split("=", 1) for item in raw if "=" in item)


@dataclass
class AmiRecorder:
    """Records every AMI event so a test can wait for the one it expects."""

    host: str
    port: int
    username: str
    secret: str
    events: list = field(default_factory=list)
    manager: Manager | None = None

    async def connect(self) -> None:
        self.manager = Manager(
            loop=asyncio.get_running_loop(), host=self.host, port=self.port,
            username=self.username, secret=self.secret, ping_delay=60,
        )  # fmt: skip
        self.manager.register_event("*", self._record)
        await self.manager.connect()
        deadline = time.monotonic() + 10
        while not self.manager.authenticated:
            if time.monotonic() > deadline:
                raise AssertionError("AMI login failed")
            await asyncio.sleep(0.05)

    def _record(self, manager, event) -> None:
        self.events.append(event)

    async def wait_for(self, name: str, predicate=lambda e: True, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.events):
                if event.get("Event") == name and predicate(event):
                    return event
            await asyncio.sleep(0.05)
        raise AssertionError(f"no AMI {name} event matching within {timeout}s")

    async def action(self, **fields):
        assert self.manager is not None
        return await self.manager.send_action(fields)

    def close(self) -> None:
        if self.manager is not None:
            self.manager.close()


CONCISE = ("channel", "context", "exten", "priority", "state", "application", "data", "caller")


def channels_of(pbx, caller: str) -> list[dict[str, str]]:
    """Where `caller`'s channels are in the dialplan right now, from the CLI's
    `core show channels concise` (Asterisk generates no Newexten event:
    manager.conf `disabledevents`)."""
    out = pbx.cli("core show channels concise", check=False).stdout
    rows = [dict(zip(CONCISE, line.split("!"), strict=False)) for line in out.splitlines()]
    return [row for row in rows if row.get("caller") == caller]


async def channel_at(pbx, caller: str, predicate, timeout: float = 30.0) -> dict[str, str]:
    """The first of `caller`'s channels seen where predicate(row) holds,
    polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await asyncio.to_thread(channels_of, pbx, caller)
        for row in rows:
            if predicate(row):
                return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"no channel of {caller} matching within {timeout}s")
