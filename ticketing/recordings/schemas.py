"""Request and response bodies of the recordings (录音)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

# a recording's file name as the dialplan makes it: call-<digits>[-leg].wav,
# callback-<digits>[-leg].wav or sos-<digits>.wav; never a path
FILE_NAME = r"^(call|callback|sos)-[0-9]{1,40}(-(citizen|agent))?\.wav$"


class RecordingIn(BaseModel):
    """What the ACD reports when a recorded call ends."""

    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="hotline", pattern="^(hotline|sos|callback)$")
    queue: str = Field(default="", max_length=32)
    hotline: str = Field(default="", max_length=16)
    seat: str = Field(default="", max_length=8, pattern="^[0-9]*$")
    mixed_file: str = Field(pattern=FILE_NAME)
    citizen_file: str | None = Field(default=None, pattern=FILE_NAME)
    agent_file: str | None = Field(default=None, pattern=FILE_NAME)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class Utterance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speaker: str = Field(pattern="^(市民|话务员)$")
    start: float = Field(ge=0, le=86_400)
    end: float = Field(ge=0, le=86_400)
    text: str = Field(max_length=20_000)
    # [word, start, end, confidence]
    words: list[tuple[str, float, float, float]] = Field(default=[], max_length=20_000)


class TranscriptIn(BaseModel):
    """A worker's result: the utterances, or why the recording could not be
    decoded (the recording itself is never touched)."""

    model_config = ConfigDict(extra="forbid")
    utterances: list[Utterance] = Field(default=[], max_length=5_000)
    failed: str = Field(default="", max_length=500)


class RecordingOut(BaseModel):
    id: int
    call_id: str
    kind: str
    queue: str
    hotline: str
    seat: str
    legs: list[str]
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_s: float
    size_bytes: int
    sha256: str
    status: str
    note: str
    order_ids: list[int]
    asr_status: str
    asr_note: str
    transcript: list[dict] | None
    # the draft's fields filled from what the citizen said, each with the
    # words it came from (recordings.extract): the agent confirms or corrects
    draft: dict | None = None
    created_at: dt.datetime
