"""What the day's phones send: the callers' sipp scenarios (keys, speech)
and how long a seat's phone talks (`--media light|full`, docs/day.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.day.traffic import KEYS
from testkit.sipp import citizen_scenario, talk_delay_ms

TALK_S = 180  # a phone sends audio for three minutes of a call at most (real seconds)
KEY_AFTER_MS = 1500  # a caller with a key presses it this long after the call is up
HUM_MS = 1000  # every caller's first audio: Asterisk sees media at once


def scenarios_for(work: Path, full_media: bool) -> dict:
    """One sipp scenario per (key, speaks), made once for every call: a
    speaking caller says a Korean sentence (espeak-ng; the only model in
    reach is Korean), a silent one a second's hum. A recording holds what
    was sent while the caller was bridged to a seat. With `full_media` the
    seats' phones send (silence) for the whole call, as real ones do, and a
    speaking caller says the sentence again and again for the whole call:
    every recording has the call's length. Without, the speech comes in the
    call's first seconds and the seats send nothing: a caller who waited
    longer is recorded as silence. Full media costs this 2-core machine
    the queue figures (the thirteenth to fifteenth days, docs/day.md): the
    phones are on the switch's cores. Each scenario comes with how much
    later than the call's start its -d starts counting
    (testkit.sipp.talk_delay_ms)."""
    said, ulaw = work / "said.wav", work / "said.ul"
    subprocess.run(
        ["espeak-ng", "-v", "ko", "-w", str(said), "안녕하세요 도로에 구멍이 있어요"], check=True
    )
    subprocess.run(["sox", str(said), "-r", "8000", "-c", "1", "-t", "ul", str(ulaw)], check=True)
    speech = ulaw.read_bytes()
    return {
        (key, speaks): (
            citizen_scenario(
                work,
                key,
                KEY_AFTER_MS,
                HUM_MS,
                speech=speech if speaks else b"",
                talk_ms=TALK_S * 1000 if speaks and full_media else 0,
            ),
            talk_delay_ms(key, HUM_MS) if speaks and full_media else 0,
        )
        for key, _ in KEYS
        for speaks in (False, True)
    }
