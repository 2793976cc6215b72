"""Bounded integers for ids and versions: out-of-range input is a 422, not a
database overflow (PostgreSQL INTEGER is 32-bit)."""

from typing import Annotated

from fastapi import Path
from pydantic import Field

INT_MAX = 2_147_483_647

DbId = Annotated[int, Field(ge=1, le=INT_MAX)]
Version = Annotated[
    int, Field(ge=1, le=INT_MAX, description="the version last read (optimistic lock)")
]
PathId = Annotated[int, Path(ge=1, le=INT_MAX)]
