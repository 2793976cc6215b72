"""Pages that cannot keep up are closed, and stall nobody else."""

from __future__ import annotations

import asyncio
import json

from softphone_bridge.server import Bridge
from softphone_bridge.session import SLOW, Session
from softphone_bridge.settings import BridgeSettings
from tests.unit.test_sos_and_calls import FakeWs


class StalledWs(FakeWs):
    """A browser that stopped reading: a send never completes."""

    def __init__(self) -> None:
        super().__init__()
        self.closed_with: tuple[int, str] | None = None

    async def send(self, text: str) -> None:
        await asyncio.Event().wait()

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)


async def test_a_stalled_page_is_closed_and_the_others_keep_getting_messages():
    bridge = Bridge(BridgeSettings(), redis=None, http=None)  # type: ignore[arg-type]
    healthy, stalled = FakeWs(), StalledWs()
    good = Session(healthy, "t", "lead", "shift_lead", None)  # type: ignore[arg-type]
    slow = Session(stalled, "t", "lead2", "shift_lead", None, send_timeout_s=0.2)  # type: ignore[arg-type]
    bridge.sessions |= {good, slow}
    for n in range(20):
        await bridge.route({"type": "queue", "name": "hotline", "waiting": n})
    await good.flush()
    assert [json.loads(m)["waiting"] for m in healthy.sent] == list(range(20))
    for _ in range(50):
        if stalled.closed_with:
            break
        await asyncio.sleep(0.05)
    assert slow.dropped and stalled.closed_with is not None
    assert stalled.closed_with[0] == SLOW
    await good.close()
    await slow.close()


async def test_a_page_whose_queue_overflows_is_closed_at_once():
    stalled = StalledWs()
    page = Session(stalled, "t", "a", "agent", "1001", queue_size=3)  # type: ignore[arg-type]
    for n in range(10):
        await page.send({"n": n})
    assert page.dropped
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert stalled.closed_with is not None and stalled.closed_with[0] == SLOW
    await page.close()


async def test_an_event_that_is_no_acd_event_is_skipped_and_the_feed_goes_on():
    import pytest
    from pydantic import ValidationError

    from yht.events import decode

    with pytest.raises(ValidationError):
        decode('{"type": "seat", "state": "ready"}')  # no agent_id
    bridge = Bridge(BridgeSettings(), redis=None, http=None)  # type: ignore[arg-type]
    page = FakeWs()
    bridge.sessions.add(Session(page, "t", "lead", "shift_lead", None))  # type: ignore[arg-type]
    await bridge._route_raw(b'{"type": "queue", "name": 7}')
    await bridge._route_raw(b"not json")
    await bridge._route_raw(b'{"type": "queue", "name": "hotline", "waiting": 2}')
    await bridge.flush()
    assert [json.loads(m)["waiting"] for m in page.sent] == [2]
