"""One leg's live recognizer: 8 kHz call audio in, resampled to the model's
rate (kept state between chunks), partial and final results out. Runs in a
worker thread (Vosk releases the GIL while it decodes)."""

from __future__ import annotations

import audioop  # resampling 8 kHz call audio (standard library up to Python 3.12)
import json
from dataclasses import dataclass, field
from typing import Any

from recordings.captions.audiosocket import RATE


@dataclass
class Result:
    final: bool
    text: str
    words: list[dict[str, Any]] = field(default_factory=list)


class LegRecognizer:
    def __init__(self, model: Any, model_rate: int) -> None:
        from vosk import KaldiRecognizer

        self.rate = model_rate
        self.recognizer = KaldiRecognizer(model, model_rate)
        self.recognizer.SetWords(True)
        self._resample_state: Any = None
        self._partial = ""
        self.fed_s = 0.0  # seconds of call audio taken so far

    def feed(self, pcm: bytes) -> Result | None:
        """A chunk of 8 kHz audio; a final result when an utterance ended,
        a partial one when the partial text changed, else None."""
        self.fed_s += len(pcm) / (2 * RATE)
        if self.rate != RATE:
            pcm, self._resample_state = audioop.ratecv(pcm, 2, 1, RATE, self.rate,
                                                       self._resample_state)  # fmt: skip
        if self.recognizer.AcceptWaveform(pcm):
            return self._final(self.recognizer.Result())
        text = json.loads(self.recognizer.PartialResult()).get("partial", "")
        if text == self._partial:
            return None
        self._partial = text
        return Result(False, text)

    def finish(self) -> Result | None:
        """What is left when the leg ends."""
        result = self._final(self.recognizer.FinalResult())
        return result if result.text or self._partial else None

    def _final(self, raw: str) -> Result:
        self._partial = ""
        data = json.loads(raw)
        words = [{"word": w["word"], "start": round(float(w["start"]), 2),
                  "end": round(float(w["end"]), 2), "conf": round(float(w.get("conf", 1)), 3)}
                 for w in data.get("result", [])]  # fmt: skip
        return Result(True, data.get("text", ""), words)
