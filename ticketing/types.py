"""Bounded integers for ids and versions: out-of-range input is a 422, not a
database overflow (PostgreSQL INTEGER is 32-bit); moments and days only as
ISO 8601 text."""

import datetime as dt
import re
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator, Field

INT_MAX = 2_147_483_647

DbId = Annotated[int, Field(ge=1, le=INT_MAX)]
Version = Annotated[
    int, Field(ge=1, le=INT_MAX, description="the version last read (optimistic lock)")
]
PathId = Annotated[int, Path(ge=1, le=INT_MAX)]


def _iso(value: object) -> object:
    """A moment or a day written as ISO 8601 (2026-11-25, 2026-11-25T08:00+08:00);
    pydantic would also read 0.5 as half a second after 1970."""
    if isinstance(value, str) and not _ISO.match(value):
        raise ValueError("须为 ISO 8601 日期或时间, 例如 2026-11-25 或 2026-11-25T08:00:00+08:00")
    return value


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$")
Moment = Annotated[dt.datetime, BeforeValidator(_iso)]
Day = Annotated[dt.date, BeforeValidator(_iso)]
