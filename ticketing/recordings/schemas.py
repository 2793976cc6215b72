"""Request and response bodies of the recordings (录音)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

# a recording's file name as the dialplan makes it: call-<digits>[-leg].wav or
# sos-<digits>.wav; never a path
FILE_NAME = r"^(call|sos)-[0-9]{1,40}(-(citizen|agent))?\.wav$"


class RecordingIn(BaseModel):
    """What the ACD reports when a recorded call ends."""

    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=64)
    kind: str = Field(default="hotline", pattern="^(hotline|sos)$")
    queue: str = Field(default="", max_length=32)
    hotline: str = Field(default="", max_length=16)
    seat: str = Field(default="", max_length=8, pattern="^[0-9]*$")
    mixed_file: str = Field(pattern=FILE_NAME)
    citizen_file: str | None = Field(default=None, pattern=FILE_NAME)
    agent_file: str | None = Field(default=None, pattern=FILE_NAME)
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


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
    created_at: dt.datetime
