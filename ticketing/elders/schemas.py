"""Request and response bodies of the elder registry."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yht.phones import Phone

Name = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Words = Annotated[str, StringConstraints(max_length=2000)]
Label = Annotated[str, StringConstraints(max_length=64)]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    relation: Label = ""
    phone: Phone


class ElderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    age: int | None = Field(default=None, ge=0, le=130)
    numbers: list[Phone] = Field(min_length=1, max_length=5)
    address: Annotated[str, StringConstraints(max_length=255)] = ""
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    conditions: Words = ""
    medicines: Words = ""
    contacts: list[Contact] = Field(default_factory=list, max_length=5)
    community: Label = ""
    grid: Label = ""
    worker_name: Label = ""
    worker_phone: Phone | None = None
    follow_up: bool = False


class ElderOut(BaseModel):
    id: int
    name: str
    age: int | None
    numbers: list[str]
    address: str
    latitude: float | None
    longitude: float | None
    conditions: str | None = Field(description="null for roles that may not see health data")
    medicines: str | None
    contacts: list[dict]
    community: str
    grid: str
    worker_name: str
    worker_phone: str | None
    follow_up: bool
    active: bool
    unconfirmed_numbers: list[str] = Field(
        description="numbers that called the SOS line but do not route as SOS until confirmed"
    )
