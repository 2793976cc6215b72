"""Every hotline call is recorded from the answer on (issue 12): a real call
through Asterisk leaves the mix and one file per leg, the ACD reports it,
the work-order API plays it to the agent who took it and nobody else, and a
real transcription worker (Vosk, the Korean model from PyPI; the caller
speaks espeak-ng's Korean) puts the transcript on the call's work order."""

from __future__ import annotations

import asyncio
import subprocess
import wave
from pathlib import Path

import httpx

from testkit.sipp import place_call
from testkit.waiting import until
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_desk import open_page

SEAT = "1003"
SAID = "안녕하세요 도로에 구멍이 있어요"


def korean_speech(workdir: Path) -> bytes:
    """What the caller says: espeak-ng's Korean voice as 8 kHz mu-law."""
    raw, ulaw = workdir / "said.wav", workdir / "said.ul"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), SAID], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-t", "ul", str(ulaw)], check=True)
    return ulaw.read_bytes()


async def a_spoken_call(pbx, page, ami, workdir: Path, hold_ms: int, speech: bytes):
    """The seat logs in from its page; a caller who speaks `speech` is put
    through to it. Returns the call and its AgentConnect."""
    await page.send(type="login", ref="in")
    await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=hold_ms,
                      speech=speech)  # fmt: skip
    return call, await ami.wait_for("AgentConnect", is_caller(caller), timeout=30)


def riff_size(path: Path) -> int:
    """The length a WAV file's RIFF header claims: 0 (Asterisk's placeholder)
    until the file is closed."""
    with path.open("rb") as handle:
        head = handle.read(8)
    return int.from_bytes(head[4:8], "little") if head[:4] == b"RIFF" else -1


def seconds_of(path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


async def test_a_call_is_recorded_per_leg_and_heard_only_by_its_agent(
    pbx, live_desk, ticketing_service, seat_phones, ami, workdir
):
    seat_phones(SEAT)
    agent = ticketing_service.user("desk1003", "agent", seat=SEAT)
    stranger = ticketing_service.user("desk1002", "agent", seat="1002")
    page = await open_page(live_desk["ws"], agent)
    try:
        call, connect = await a_spoken_call(pbx, page, ami, workdir, 5000, korean_speech(workdir))
        call_id = connect["Uniqueid"]
        # the caller's leg will close its recording before it is announced gone
        shown = f"core show hanguphandlers {connect['Channel']}"
        handlers = await asyncio.to_thread(pbx.cli, shown)
        assert "yht-recording-end,s,1" in handlers.stdout, handlers.stdout
        # the agent opens the work order from the pop while the caller speaks
        order = await asyncio.to_thread(ticketing_service.new_order, call={"call_id": call_id},
                                        content="道路有坑", as_=agent)  # fmt: skip
        assert await call.finished() == 0
        base = "call-" + "".join(c for c in call_id if c.isdigit())
        monitor = pbx.dir / "spool" / "monitor"
        # the moment the ACD reports the recording: the caller's leg is gone.
        # By then every file is complete, its WAV header says how long it is
        # (12-recording.conf; without it MixMonitor's thread closes them later)
        await ami.wait_for("Hangup", lambda e: e.get("Uniqueid") == call_id, timeout=20)
        for leg in ("", "-citizen", "-agent"):
            assert riff_size(monitor / f"{base}{leg}.wav") > 36, f"{base}{leg}.wav still open"
        # only the bridged part: the call was answered at once and lasted ~4 s
        assert 2.0 < seconds_of(monitor / f"{base}.wav") < 7.0
        assert seconds_of(monitor / f"{base}-citizen.wav") > 2.0

        def recorded() -> dict | None:
            response = httpx.get(f"{ticketing_service.base}/recordings/{call_id}",
                                 headers=agent, timeout=2)  # fmt: skip
            return response.json() if response.status_code == 200 else None

        await until(lambda: recorded() is not None, 20, "the recording in the work-order API")
        item = recorded()
        assert item is not None and item["status"] == "recorded" and item["seat"] == SEAT
        assert item["legs"] == ["mixed", "citizen", "agent"] and item["duration_s"] > 2.0
        url = f"{ticketing_service.base}/recordings/{call_id}/audio"
        part = await asyncio.to_thread(httpx.get, url, headers={**agent, "Range": "bytes=0-43"})
        assert part.status_code == 206 and part.content[:4] == b"RIFF"
        other = await asyncio.to_thread(httpx.get, url, headers=stranger)
        assert other.status_code == 404

        # the worker transcribed it: the citizen's words, with times, on the order
        await until(lambda: (recorded() or {}).get("asr_status") == "done", 60,
                    "the transcript")  # fmt: skip
        utterances = recorded()["transcript"]  # type: ignore[index]
        citizen = [u for u in utterances if u["speaker"] == "市民"]
        assert citizen and all(w[1] <= w[2] for u in citizen for w in u["words"])
        detail = await asyncio.to_thread(ticketing_service.get, f"/orders/{order['id']}")
        shown = detail["transcripts"][call_id]
        assert shown.startswith("市民: ")
        heard = " ".join(u["text"] for u in citizen)
        print(f"\nsaid: {SAID}\nheard: {heard}")
    finally:
        await page.send(type="logout", ref="out")
        await page.expect(lambda m: m.get("ref") == "out")
        await page.ws.close()
