"""Request and response bodies of the work-order API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ticketing.orders.enums import Channel, OrderType, State, Urgency, Verdict
from ticketing.types import DbId, Version
from yht.phones import Phone

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=255, strip_whitespace=True)]
Note = Annotated[str, StringConstraints(max_length=2000)]


class Caller(BaseModel):
    phone: Phone | None = None
    name: Annotated[str, StringConstraints(max_length=64)] | None = None
    address: Short | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


PERSONAL = "only for agents, shift leads and unit handlers (None for leaders, administrators)"


class CallerOut(BaseModel):
    phone: str | None = Field(
        default=None, description="masked (138****8000) for roles that do not call citizens"
    )
    name: str | None = Field(default=None, description=PERSONAL)
    address: str | None = Field(default=None, description=PERSONAL)
    latitude: float | None = None
    longitude: float | None = None


class CallRef(BaseModel):
    call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    recording: Annotated[str, StringConstraints(max_length=255)] | None = None
    transcript: Annotated[str, StringConstraints(max_length=20000)] | None = None


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    type: OrderType
    subject_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    urgency: Urgency = Urgency.normal
    content: Text
    caller: Caller = Caller()
    call: CallRef | None = None


class OrderOut(BaseModel):
    id: int
    number: str
    channel: Channel
    type: OrderType
    subject_code: str | None
    urgency: Urgency
    content: str
    caller: CallerOut
    state: State
    unit_id: int | None
    assist_unit_ids: list[int]
    created_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    verdict: Verdict | None
    reopen_count: int
    merged_into_id: int | None
    overdue: bool
    version: int
    related: list[RelatedOut] = []
    # what this user may do to the order now (the transition table's answer)
    actions: list[str] = []
    calls: list[str] = []
    # call id -> what was said (市民: … / 话务员: …), once transcribed
    transcripts: dict[str, str] = {}


class RelatedOut(BaseModel):
    order_id: int
    number: str
    reason: str


class OrderPage(BaseModel):
    items: list[OrderOut]
    total: int
    limit: int
    offset: int


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Annotated[str, StringConstraints(max_length=32)]
    version: Version
    note: Note = ""
    unit_id: DbId | None = Field(default=None, description="dispatch / reassign: the main unit")
    assist_unit_ids: list[DbId] = Field(default=[], max_length=20)


class EventOut(BaseModel):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str = ""  # who did it, as the timeline shows it
    action: str
    from_state: State | None
    to_state: State
    unit_id: int | None
    note: str


class ReassignRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=2, max_length=2000, strip_whitespace=True)]


class ReassignDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    version: Version
    unit_id: DbId | None = None
    note: Note = ""


class ReassignRequestOut(BaseModel):
    id: int
    order_id: int
    unit_id: int
    reason: str
    status: str
    created_at: dt.datetime


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into_order_id: DbId
    version: Version
    note: Note = ""


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


OrderOut.model_rebuild()


class OrderUpdate(BaseModel):
    """Reclassify or complete a work order before it is dispatched."""

    model_config = ConfigDict(extra="forbid")
    version: Version
    type: OrderType | None = None
    subject_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    urgency: Urgency | None = None
    content: Text | None = None
    caller: Caller | None = None

    @model_validator(mode="after")
    def given_means_a_value(self) -> OrderUpdate:
        """Leave a field out to keep it; null is no type, urgency or content."""
        for name in ("type", "urgency", "content"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name}: 不能为 null; 不修改就不要给出这个字段")
        return self
