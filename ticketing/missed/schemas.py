"""Request and response bodies of the missed calls (回拨)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from ticketing.types import DbId
from yht.phones import Phone


class MissedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=64)
    caller: Phone | None = None
    hotline: str = Field(default="", max_length=16)
    queue: str = Field(default="", max_length=32)
    waited_s: int = Field(default=0, ge=0, le=86_400)
    # abandoned in the queue, no seat in time, gave up in the voice menu
    reason: str = Field(pattern="^(abandoned|no_agent|menu)$")


class MissedOut(BaseModel):
    id: int
    call_id: str
    caller: str | None
    hotline: str
    queue: str
    waited_s: int
    reason: str
    status: str
    note: str
    order_id: int | None
    created_at: dt.datetime


class MissedDone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000)
    order_id: DbId | None = None
