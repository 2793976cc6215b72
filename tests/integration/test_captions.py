"""Live captions (issue 12, item 3): while a real call through Asterisk is
up, the caller's words (espeak-ng's Korean, recognised by the real Vosk
model) reach the desk of the seat on the call as partial and then final
captions, and a shift lead listening to that seat; another agent gets none.
Each leg is spied on by itself (ChanSpy o on a Local channel into
AudioSocket), so the citizen's words and the agent's stay apart."""

from __future__ import annotations

import asyncio
import audioop
import random
import subprocess
import time
from pathlib import Path

import redis.asyncio as aioredis

from testkit.sipp import place_call
from testkit.waiting import until
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_desk import open_page
from tests.integration.test_recordings import a_spoken_call
from yht.events import Caption, captions_channel, encode

SEAT, LEAD_SEAT, OTHER_SEAT = "1003", "1004", "1002"
SAID = "안녕하세요 도로에 구멍이 있어요 빨리 고쳐 주세요"


def quiet(seconds: float) -> bytes:
    """A phone line's quiet (faint noise, 8 kHz mu-law): the recognizer ends
    an utterance on it (pure digital zeros never end one)."""
    noise = random.Random(7)
    samples = b"".join(int(noise.gauss(0, 30)).to_bytes(2, "little", signed=True)
                       for _ in range(int(8000 * seconds)))  # fmt: skip
    return audioop.lin2ulaw(samples, 2)


def spoken(workdir: Path, text: str = SAID, lead_in_s: float = 1) -> bytes:
    """What the caller says, after `lead_in_s` of silence (the seat answers
    first): espeak-ng's Korean voice as 8 kHz mu-law."""
    raw, ulaw = workdir / "said.wav", workdir / "said.ul"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-t", "ul", str(ulaw)], check=True)
    return quiet(lead_in_s) + ulaw.read_bytes()


def caption_channels(pbx) -> list[str]:
    """The caption service's Local channels Asterisk still has."""
    out = pbx.cli("core show channels concise", check=False).stdout
    return [line.split("!")[0] for line in out.splitlines() if "@yht-captions-" in line]


def caption_of(call_id: str, leg: str = "citizen", final: bool | None = None):
    def match(m: dict) -> bool:
        return (m["type"] == "caption" and m["call_id"] == call_id and m["leg"] == leg
                and bool(m["text"]) and (final is None or m["final"] == final))  # fmt: skip

    return match


async def test_captions_reach_the_seat_on_the_call_and_a_listening_lead_only(
    pbx, live_desk, ticketing_service, seat_phones, ami, workdir
):
    seat_phones(SEAT)
    seat_phones(LEAD_SEAT)
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    lead = await open_page(live_desk["ws"], ticketing_service.user("lead1004", "shift_lead",
                                                                   seat=LEAD_SEAT))  # fmt: skip
    other = await open_page(live_desk["ws"], ticketing_service.user("desk1002", "agent",
                                                                    seat=OTHER_SEAT))  # fmt: skip
    try:
        call, connect = await a_spoken_call(pbx, page, ami, workdir, 9000, spoken(workdir))
        call_id = connect["Uniqueid"]
        # each leg by itself: a Local channel of the caption service spies on it
        spies = {}
        for leg, spied in (("citizen", connect["Channel"]), ("agent", connect["DestChannel"])):
            spy = await ami.wait_for("ChanSpyStart", lambda e, spied=spied: e["SpyeeChannel"]
                                     == spied and e["SpyerChannel"].startswith("Local/"),
                                     timeout=10)  # fmt: skip
            assert spy["SpyerChannel"].startswith(f"Local/{leg}@yht-captions-")
            spies[leg] = spy["SpyerChannel"]
        await lead.send(type="spy", target=SEAT, mode="listen", ref="listen")
        assert (await lead.expect(lambda m: m.get("ref") == "listen"))["type"] == "ack"

        # a partial while the caller still speaks: received before the hang-up
        partial = await page.expect(caption_of(call_id, final=False), timeout=15)
        received = time.time()
        assert partial["seat"] == SEAT and partial["started_at"] > 0
        hangup = await ami.wait_for("Hangup", lambda e: e["Uniqueid"] == call_id, timeout=30)
        assert received < float(hangup["Timestamp"]), "the caption came after the call"
        assert await call.finished() == 0
        # the seat's phone sends no audio: its leg's stream is kept up until the
        # leg ends all the same (AudioSocket drops a stream quiet for 2 s)
        # (the caller's BYE starts the end of the call: HangupRequest)
        ending = await ami.wait_for("HangupRequest", lambda e: e["Uniqueid"] == call_id)
        spy_gone = await ami.wait_for("Hangup", lambda e: e["Channel"] == spies["agent"])
        assert float(spy_gone["Timestamp"]) >= float(ending["Timestamp"])

        final = await page.expect(caption_of(call_id, final=True), timeout=15)
        assert final["words"] and all(w["end"] >= w["start"] for w in final["words"])
        # the draft from what the citizen said: at least its summary, with its source
        assert final["draft"]["summary"]["value"]
        assert final["draft"]["summary"]["source"]
        await lead.expect(caption_of(call_id), timeout=10)

        # an ordering barrier: a caption for the other seat, published after the
        # citizen's final; the bridge routes in order, so anything of this call
        # would have reached the other agent before it
        client = aioredis.from_url("redis://127.0.0.1:6379/0")
        marker = Caption(
            call_id="marker", seat=OTHER_SEAT, leg="citizen", text="标记", at=time.time()
        )
        await client.publish(captions_channel(live_desk["prefix"]), encode(marker))
        await client.aclose()
        await other.expect(lambda m: m["type"] == "caption" and m["call_id"] == "marker")
        assert [
            m for m in other.messages if m["type"] == "caption" and m["call_id"] == call_id
        ] == []
        # the spies went with the call
        await until(lambda: not caption_channels(pbx), 10, "no caption channel left")
    finally:
        await page.send(type="logout", ref="out")
        await page.expect(lambda m: m.get("ref") == "out")
        for p in (page, lead, other):
            await p.ws.close()


async def test_captions_cost_the_call_nothing_when_the_service_is_down(
    pbx, live_desk, ticketing_service, seat_phones, ami, workdir
):
    """The caption service stopped: the call is answered and bridged as ever,
    and its recording is made; no caption spy is started."""
    seat_phones(SEAT)
    page = await open_page(live_desk["ws"], ticketing_service.user("desk1003", "agent", seat=SEAT))
    captions = live_desk["captions"]
    captions.stop()
    try:
        await page.send(type="login", ref="in")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
        caller = new_caller()
        call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=3000,
                          voice_ms=3000)  # fmt: skip
        connect = await ami.wait_for("AgentConnect", is_caller(caller), timeout=30)
        assert await call.finished() == 0
        await ami.wait_for("Hangup", lambda e: e["Uniqueid"] == connect["Uniqueid"], timeout=20)
        legs = (connect["Channel"], connect["DestChannel"])
        spies = [e for e in ami.events
                 if e.get("Event") == "ChanSpyStart" and e.get("SpyeeChannel") in legs]  # fmt: skip
        assert spies == []
    finally:
        await asyncio.to_thread(captions.start)
        await page.send(type="logout", ref="out")
        await page.expect(lambda m: m.get("ref") == "out")
        await page.ws.close()
