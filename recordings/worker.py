"""`python -m recordings.worker`: transcribe recorded calls.

Jobs come from the ACD through the durable outbox (Redis Streams, consumer
group: the mechanism every delivery here uses). Each worker process loads
the Vosk model once, decodes each leg of a call (市民, 话务员), merges the
words by time and stores the transcript on the call in the work-order
service (role asr). Start more processes, here or on other machines that
reach the same Redis and recordings, to go faster. A worker that dies
mid-job loses nothing: the job stays pending and is taken again (by itself
on restart, by another worker after YHT_ASR_STALE_S). A recording that
cannot be decoded is marked failed with the reason; it is never touched.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

from recordings.asr import ModelMissing, Undecodable, decode, load_model, merge
from recordings.settings import AsrSettings
from yht import logs
from yht.outbox import Delivery, Outbox

log = logging.getLogger("recordings.worker")
KIND = "transcribe"


class Transcriber:
    def __init__(self, settings: AsrSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.model, self.rate = load_model(settings.model_dir)  # once per process
        self.http = http
        self.done = 0
        self.failed = 0  # recordings marked undecodable

    async def handle(self, payload: bytes) -> int:
        """One job; returns the work-order service's status (2xx: done)."""
        job = json.loads(payload)
        call_id = str(job.get("call_id", ""))
        try:
            utterances = await asyncio.to_thread(self.transcribe, job)
            body: dict[str, Any] = {"utterances": utterances}
        except Undecodable as error:
            log.warning("call %s cannot be transcribed: %s", call_id, error)
            body = {"failed": str(error)[:500]}
            self.failed += 1
        except Exception as error:  # the decoder itself: marked, not retried forever
            log.exception("decoding call %s failed", call_id)
            body = {"failed": f"解码出错: {type(error).__name__}"}
            self.failed += 1
        try:
            response = await self.http.put(f"/recordings/{call_id}/transcript", json=body)
        except httpx.HTTPError as error:
            log.warning("storing the transcript of %s failed (%s)", call_id, type(error).__name__)
            return 503
        if response.status_code < 300:
            self.done += 1
            log.info("call %s transcribed: %d utterances", call_id, len(body.get("utterances", [])))
        return response.status_code

    def transcribe(self, job: dict) -> list[dict]:
        directory = Path(self.settings.recordings_dir)
        words = []
        for leg in ("citizen", "agent"):
            name = job.get(f"{leg}_file")
            if not name:
                continue
            path = directory / Path(name).name  # a name, never a path
            if not path.is_file():
                raise Undecodable(f"{path.name}: 文件不存在")
            words += decode(self.model, self.rate, path, leg)
        return merge(words)


async def serve(settings: AsrSettings) -> None:
    redis = Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout_s,
                           socket_connect_timeout=settings.redis_timeout_s)  # fmt: skip
    headers = {"Authorization": f"Bearer {settings.api_token}"}
    async with httpx.AsyncClient(base_url=settings.ticketing_url, headers=headers,
                                 timeout=settings.http_timeout_s) as http:  # fmt: skip
        transcriber = Transcriber(settings, http)
        name = settings.worker_name or f"asr-{socket.gethostname()}-{os.getpid()}"
        delivery = Delivery(Outbox(redis, settings.redis_prefix), KIND, transcriber.handle,
                            consumer=name, stale_ms=int(settings.stale_s * 1000))  # fmt: skip
        log.info("transcription worker %s ready (model %s, %d Hz)", name, settings.model_dir,
                 transcriber.rate)  # fmt: skip
        if settings.metrics_port:
            serve_metrics(settings.metrics_port, transcriber)
        task = asyncio.create_task(delivery.run())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        done, _ = await asyncio.wait([task, asyncio.create_task(stop.wait())],
                                     return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        task.cancel()
        if task in done and task.exception():
            raise task.exception()  # type: ignore[misc]
    await redis.aclose()
    log.info("transcription worker %s stopped after %d calls", name, transcriber.done)


def serve_metrics(port: int, transcriber: Transcriber) -> None:
    """/metrics in a thread of its own (yht.metrics)."""
    from yht import metrics

    metrics.serve_metrics(port, lambda: {
        "yht_transcriptions_done": ("counter", "calls transcribed by this worker",
                                    [({}, float(transcriber.done))]),
        "yht_transcriptions_failed": ("counter", "recordings this worker marked undecodable",
                                      [({}, float(transcriber.failed))]),
    })  # fmt: skip


def lower_priority(nice: int) -> int:
    """Run this process at CPU niceness `nice` (never raised: an operator's
    `nice -n 15` stays); returns the niceness now."""
    current = os.nice(0)
    return os.nice(nice - current) if nice > current else current


def idle_class() -> bool:
    """Put this process in the idle scheduling class (Linux SCHED_IDLE; the
    threads it starts later inherit it): CPU time only when nothing else
    wants it. Returns whether it is in that class now."""
    policy = getattr(os, "SCHED_IDLE", None)
    if policy is None:
        return False
    try:
        os.sched_setscheduler(0, policy, os.sched_param(0))
    except OSError as error:
        log.warning("the idle scheduling class was refused: %s", error)
        return False
    return os.sched_getscheduler(0) == policy


def main() -> None:
    logs.setup()
    settings = AsrSettings()
    # the eighth and ninth days: one worker's decoding took most of a core of
    # two while the morning peak's callers waited (docs/day.md)
    log.info("transcription at CPU niceness %d%s", lower_priority(settings.nice),
             ", idle scheduling class" if settings.idle and idle_class() else "")  # fmt: skip
    try:
        asyncio.run(serve(settings))
    except ModelMissing as error:
        raise SystemExit(f"transcription refused to start: {error}") from None


if __name__ == "__main__":
    main()
