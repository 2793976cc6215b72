"""The live-caption service: follows AgentConnect on AMI, has Asterisk
stream each leg of an answered hotline call to it (a ChanSpy Local channel
into AudioSocket, 25-captions.conf), decodes each leg with Vosk as the audio
comes, and publishes partial and final captions (yht.events.Caption) on the
live Redis, where the bridge picks them up for the seat on the call.

Captions are live only: a caption lost while Redis is down is not sent again
(the recording and its transcript, made after the call, are the durable
record). Everything is bounded: legs decoded at once (`max_streams`; a call
over it gets a note instead of captions), audio waiting per leg
(`max_lag_s`; older audio is skipped and counted), AMI events waiting.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from panoramisk import Manager
from redis.asyncio import Redis
from redis.exceptions import RedisError

from recordings import extract
from recordings.captions import audiosocket as aus
from recordings.captions.recognizer import LegRecognizer, Result
from recordings.captions.settings import CaptionSettings
from yht import channelvars as cv
from yht.ami import NEVER_REPLAYED, AmiError, agent_of, call_context, originate
from yht.events import Caption, captions_channel, encode
from yht.supervise import Supervisor

log = logging.getLogger("recordings.captions")
UNAVAILABLE = "字幕不可用: 识别通道已满, 通话结束后可查看转写"


@dataclass
class Leg:
    call_id: str
    seat: str
    leg: Literal["citizen", "agent"]
    offered: float = field(default_factory=time.monotonic)
    started_at: float = 0.0
    seq: int = 0
    said: list[str] = field(default_factory=list)  # finals, for the draft
    skipped_s: float = 0.0


class CaptionService:
    def __init__(self, settings: CaptionSettings, redis: Redis, model: Any, rate: int) -> None:
        self.settings = settings
        self.redis = redis
        self.model, self.rate = model, rate
        self.manager = Manager(
            host=settings.ami_host, port=settings.ami_port, username=settings.ami_user,
            secret=settings.ami_secret, ping_delay=5, reconnect_timeout=settings.reconnect_s,
            forgetable_actions=NEVER_REPLAYED, on_login=self._ami_up,
            on_disconnect=self._ami_down,
        )  # fmt: skip
        self.manager.ami_up = False
        self.executor = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="vosk")
        self.expected: dict[str, Leg] = {}  # stream id -> leg, until Asterisk connects
        self.streams: dict[str, Leg] = {}  # legs being decoded
        self._connects: asyncio.Queue[Any] = asyncio.Queue(maxsize=1000)
        self.supervisor = Supervisor("captions")
        self.counts = {"calls": 0, "unavailable": 0, "published": 0, "publish_failed": 0,
                       "unknown_streams": 0, "skipped_audio_s": 0.0}  # fmt: skip
        self.redis_up = True

    # ------------------------------------------------------------------ AMI
    async def start(self) -> None:
        self.manager.loop = asyncio.get_running_loop()
        self.manager.register_event("AgentConnect", self._on_connect)
        # jieba's dictionary loads once, before the first call needs it
        await asyncio.get_running_loop().run_in_executor(self.executor, extract.fill, "热身")
        self.supervisor.start("answered-calls", self._work)
        await self.manager.connect()

    def _ami_up(self, manager: Any) -> None:
        manager.ami_up = True
        log.info("AMI logged in")

    def _ami_down(self, manager: Any, exc: Any) -> None:
        manager.ami_up = False
        log.warning("AMI connection lost (%s); reconnecting", exc)

    def _on_connect(self, _manager: Any, event: Any) -> None:
        try:
            self._connects.put_nowait(event)
        except asyncio.QueueFull:
            log.error("answered-call queue full: a call goes without captions")

    async def _work(self) -> None:
        while True:
            event = await self._connects.get()
            await self.offer(event)

    async def offer(self, event: Any) -> None:
        """A seat answered: spy on both legs of a captioned call."""
        context = call_context(event)
        call_id, seat = event.get("Uniqueid", ""), agent_of(event) or ""
        if not (call_id and seat and self.settings.captioned(event.get("Queue", ""))):
            return
        if context.get(cv.CATEGORY) == "sos":
            return
        self._forget_stale()
        self.counts["calls"] += 1
        if len(self.streams) + len(self.expected) + 2 > self.settings.max_streams:
            self.counts["unavailable"] += 1
            log.warning("call %s: no captions, %d legs busy", call_id, len(self.streams))
            await self._send(Caption(call_id=call_id, seat=seat, leg="citizen", note=UNAVAILABLE,
                                     at=time.time()))  # fmt: skip
            return
        address = f"{self.settings.host}:{self.settings.port}"
        legs: tuple[tuple[Literal["citizen", "agent"], str], ...] = (
            ("citizen", event.get("Channel", "")),
            ("agent", event.get("DestChannel", "")),
        )
        for leg, channel in legs:
            stream = str(uuid.uuid4())
            self.expected[stream] = Leg(call_id, seat, leg)
            try:
                await originate(self.manager, f"Local/{leg}@yht-captions/n",
                                self.settings.connect_timeout_s, variables={cv.SPY: channel},
                                application="AudioSocket", data=f"{stream},{address}")  # fmt: skip
            except AmiError as error:
                self.expected.pop(stream, None)
                log.warning("call %s: no %s captions (%s)", call_id, leg, error)

    def _forget_stale(self) -> None:
        """Spies Asterisk never connected (the leg ended first, an error)."""
        limit = time.monotonic() - self.settings.connect_timeout_s
        for stream in [s for s, leg in self.expected.items() if leg.offered < limit]:
            del self.expected[stream]

    # ---------------------------------------------------------- AudioSocket
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One leg's audio from Asterisk, until the leg ends."""
        stream = ""
        try:
            stream = await asyncio.wait_for(aus.read_uuid(reader), self.settings.connect_timeout_s)
            leg = self.expected.pop(stream, None)
            if leg is None:
                self.counts["unknown_streams"] += 1
                log.warning("refusing an AudioSocket stream nobody asked for")
                return
            self.streams[stream] = leg
            keepalive = asyncio.create_task(self._keep_alive(writer))
            try:
                await self._caption(leg, reader)
            finally:
                keepalive.cancel()
        except (aus.ProtocolError, TimeoutError, ConnectionError) as error:
            log.warning("AudioSocket stream ended badly: %s", error)
        finally:
            self.streams.pop(stream, None)
            writer.close()

    @staticmethod
    async def _keep_alive(writer: asyncio.StreamWriter, every_s: float = 1.0) -> None:
        """AudioSocket ends a stream after 2 s with nothing from either side (a
        seat that sends no audio while quiet): a frame of silence every second
        keeps it up. It reaches only the spy's own channel, never the call."""
        silence = aus.frame(aus.AUDIO, bytes(320))
        while not writer.is_closing():
            writer.write(silence)
            try:
                await writer.drain()
            except ConnectionError:
                return  # the leg ended: the reader sees it too
            await asyncio.sleep(every_s)

    async def _caption(self, leg: Leg, reader: asyncio.StreamReader) -> None:
        loop = asyncio.get_running_loop()
        recognizer = await loop.run_in_executor(self.executor, LegRecognizer, self.model,
                                                self.rate)  # fmt: skip
        chunk_bytes = aus.RATE * 2 * self.settings.chunk_ms // 1000
        waiting = math.ceil(self.settings.max_lag_s * 1000 / self.settings.chunk_ms)
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=max(1, waiting))
        decoder = asyncio.create_task(self._decode(leg, recognizer, chunks))
        buffer = bytearray()
        try:
            while True:
                try:
                    kind, payload = await asyncio.wait_for(aus.read_frame(reader),
                                                           self.settings.idle_s)  # fmt: skip
                except TimeoutError:
                    log.warning("call %s %s leg: no audio for %.0f s; stream closed",
                                leg.call_id, leg.leg, self.settings.idle_s)  # fmt: skip
                    break
                if kind in (aus.HANGUP, aus.ERROR):
                    break
                if kind != aus.AUDIO:
                    continue
                if not leg.started_at:
                    leg.started_at = time.time()
                buffer += payload
                if len(buffer) >= chunk_bytes:
                    try:
                        chunks.put_nowait(bytes(buffer))
                    except asyncio.QueueFull:  # the recognizer is behind: skip, count
                        leg.skipped_s += len(buffer) / (2 * aus.RATE)
                        self.counts["skipped_audio_s"] += len(buffer) / (2 * aus.RATE)
                    buffer.clear()
            if buffer:
                await chunks.put(bytes(buffer))
        finally:
            await chunks.put(None)
            await decoder
        if leg.skipped_s:
            log.warning("call %s %s leg: %.1f s of audio skipped (recognizer behind)",
                        leg.call_id, leg.leg, leg.skipped_s)  # fmt: skip

    async def _decode(self, leg: Leg, recognizer: LegRecognizer,
                      chunks: asyncio.Queue[bytes | None]) -> None:  # fmt: skip
        loop = asyncio.get_running_loop()
        while (chunk := await chunks.get()) is not None:
            result = await loop.run_in_executor(self.executor, recognizer.feed, chunk)
            if result is not None:
                await self._publish(leg, result, recognizer.fed_s)
        result = await loop.run_in_executor(self.executor, recognizer.finish)
        if result is not None:
            await self._publish(leg, result, recognizer.fed_s)

    # -------------------------------------------------------------- publish
    async def _publish(self, leg: Leg, result: Result, stream_s: float) -> None:
        draft = None
        if result.final and leg.leg == "citizen" and result.text:
            leg.said.append(result.text)
            filled = await asyncio.get_running_loop().run_in_executor(
                self.executor, extract.fill, "。".join(leg.said)
            )
            draft = asdict(filled)
        leg.seq += 1
        await self._send(Caption(
            call_id=leg.call_id, seat=leg.seat, leg=leg.leg, final=result.final, text=result.text,
            seq=leg.seq, stream_s=round(stream_s, 3), started_at=leg.started_at,
            words=result.words, draft=draft, at=time.time()))  # fmt: skip

    async def _send(self, caption: Caption) -> None:
        try:
            await self.redis.publish(captions_channel(self.settings.redis_prefix), encode(caption))
            self.counts["published"] += 1
            if not self.redis_up:
                log.info("live Redis reachable again: captions flow")
            self.redis_up = True
        except RedisError as error:
            self.counts["publish_failed"] += 1
            if self.redis_up:
                log.warning("captions not delivered: live Redis %s", type(error).__name__)
            self.redis_up = False

    def health(self) -> dict:
        return {"ok": bool(self.manager.ami_up) and self.supervisor.healthy(),
                "ami": bool(self.manager.ami_up), "redis": self.redis_up,
                "streams": len(self.streams), "expected": len(self.expected),
                "max_streams": self.settings.max_streams, **self.counts,
                "tasks": self.supervisor.health()}  # fmt: skip

    async def stop(self) -> None:
        await self.supervisor.stop()
        self.manager.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
