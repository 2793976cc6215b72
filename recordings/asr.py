"""Decoding a recording with Vosk: words with times and confidences per
leg (KaldiRecognizer, SetWords), merged into one transcript by time with
speaker labels. Pure functions on files; the worker runs them."""

from __future__ import annotations

import audioop  # resampling 8 kHz call audio (standard library up to Python 3.12)
import json
import re
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEAKERS = {"citizen": "市民", "agent": "话务员"}
PAUSE_S = 1.5  # a silence this long starts a new utterance
CHUNK_FRAMES = 4000


class ModelMissing(RuntimeError):
    """The model directory is not set, not there, or not a Vosk model."""


class Undecodable(ValueError):
    """A recording that is not readable audio (the reason is kept on the call)."""


@dataclass(frozen=True)
class Word:
    speaker: str
    word: str
    start: float
    end: float
    conf: float


def load_model(model_dir: str) -> tuple[Any, int]:
    """The Vosk model and the sample rate it was trained on; refuses with a
    clear message instead of Kaldi's abort on a wrong directory."""
    path = Path(model_dir) if model_dir else None
    if path is None or not (path / "am").is_dir() or not (path / "conf").is_dir():
        raise ModelMissing(
            f"YHT_ASR_MODEL_DIR={model_dir!r} is not a Vosk model directory (am/, conf/): "
            "install one (README, Recordings) and point YHT_ASR_MODEL_DIR at it"
        )
    from vosk import Model, SetLogLevel

    SetLogLevel(-1)
    return Model(str(path)), model_rate(path)


def model_rate(path: Path) -> int:
    conf = path / "conf" / "mfcc.conf"
    found = re.search(r"--sample-frequency=(\d+)", conf.read_text()) if conf.exists() else None
    return int(found.group(1)) if found else 16000


def pcm16(path: Path, rate: int) -> bytes:
    """The file as 16-bit mono PCM at `rate` (call audio is 8 kHz: resampled)."""
    try:
        with wave.open(str(path)) as audio:
            width, channels = audio.getsampwidth(), audio.getnchannels()
            source = audio.getframerate()
            frames = audio.readframes(audio.getnframes())
    except (wave.Error, EOFError) as error:
        raise Undecodable(f"{path.name}: {error}") from error
    if channels != 1:
        frames = audioop.tomono(frames, width, 0.5, 0.5)
    if width != 2:
        frames = audioop.lin2lin(frames, width, 2)
    if source != rate:
        frames, _ = audioop.ratecv(frames, 2, 1, source, rate, None)
    return frames


def decode(model: Any, rate: int, path: Path, leg: str) -> list[Word]:
    """One leg's words with their times (s) and confidences."""
    from vosk import KaldiRecognizer

    recognizer = KaldiRecognizer(model, rate)
    recognizer.SetWords(True)
    frames = pcm16(path, rate)
    words: list[Word] = []
    step = CHUNK_FRAMES * 2
    for offset in range(0, len(frames), step):
        if recognizer.AcceptWaveform(frames[offset : offset + step]):
            words += _words(recognizer.Result(), leg)
    words += _words(recognizer.FinalResult(), leg)
    return words


def _words(result: str, leg: str) -> list[Word]:
    speaker = SPEAKERS[leg]
    return [Word(speaker, w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1)))
            for w in json.loads(result).get("result", [])]  # fmt: skip


def merge(words: list[Word]) -> list[dict]:
    """One transcript by time: consecutive words of one speaker, without a
    long pause, make an utterance."""
    utterances: list[dict] = []
    for word in sorted(words, key=lambda w: (w.start, w.end)):
        last = utterances[-1] if utterances else None
        timed = [word.word, word.start, word.end, word.conf]
        if last and last["speaker"] == word.speaker and word.start - last["end"] < PAUSE_S:
            last["words"].append(timed)
            last["end"] = max(last["end"], word.end)
        else:
            utterances.append({"speaker": word.speaker, "start": word.start, "end": word.end,
                               "words": [timed]})  # fmt: skip
    for utterance in utterances:
        utterance["text"] = " ".join(w[0] for w in utterance["words"])
    return utterances
