"""The SOS pop's profile lookup over a real HTTP client whose transport
plays the work-order service: down, refusing, or answering."""

from __future__ import annotations

import json

import httpx

from softphone_bridge.server import Bridge, Session
from softphone_bridge.settings import BridgeSettings
from tests.unit.test_sos_and_calls import FakeWs

OFFER = {"type": "offer", "agent_id": "1003", "call_id": "1795.7",
         "context": {"YHT_CATEGORY": "sos", "YHT_CALLER": "13900001234"}}  # fmt: skip
PROFILE = {"name": "王秀英", "address": "幸福路 8 号"}


def bridge_with(answers: list) -> tuple[Bridge, FakeWs, list[str]]:
    """A bridge whose work-order service gives `answers` in turn: a status
    code, a dict (200 with that body) or an exception to raise."""
    asked: list[str] = []

    def service(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path != "/elders/lookup":
            return httpx.Response(200, json={"items": []})
        answer = answers.pop(0) if answers else 500
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, dict):
            return httpx.Response(200, json=answer)
        return httpx.Response(answer, json={"detail": "x"})

    http = httpx.AsyncClient(transport=httpx.MockTransport(service))
    settings = BridgeSettings(ticketing_url="http://ticketing", profile_retries=3)
    bridge = Bridge(settings, redis=None, http=http)  # type: ignore[arg-type]
    ws = FakeWs()
    bridge.sessions.add(Session(ws, "t", "a", "agent", "1003"))  # type: ignore[arg-type]
    return bridge, ws, asked


def profiles(ws: FakeWs) -> list[dict]:
    return [m for m in map(json.loads, ws.sent) if m["type"] == "sos_profile"]


async def test_a_failed_lookup_says_so_and_is_retried_until_it_answers():
    down = httpx.ConnectError("refused")
    bridge, ws, asked = bridge_with([down, 503, PROFILE])
    await bridge._pop(next(iter(bridge.sessions)), OFFER)
    await bridge.flush()
    sent = profiles(ws)
    assert [m["lookup"] for m in sent] == ["failed", "failed", "ok"]
    assert sent[-1]["profile"]["name"] == "王秀英" and sent[-1]["known"] is True
    assert asked.count("/elders/lookup") == 3


async def test_an_unknown_number_is_not_a_failure():
    bridge, ws, _ = bridge_with([404])
    await bridge._pop(next(iter(bridge.sessions)), OFFER)
    await bridge.flush()
    assert [(m["lookup"], m["known"]) for m in profiles(ws)] == [("unknown", False)]


async def test_an_expired_token_is_a_failure_not_an_unknown_number():
    bridge, ws, asked = bridge_with([401, 401, 401, 401])
    await bridge._pop(next(iter(bridge.sessions)), OFFER)
    await bridge.flush()
    assert {m["lookup"] for m in profiles(ws)} == {"failed"}
    assert asked.count("/elders/lookup") == 4
