"""The SOS call record: each step the ACD saw in Asterisk's events, and the
emergency work order the first step makes (with the elder's profile, or an
empty one to follow up for an unknown number, whose number stays unconfirmed
and does not route as SOS)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.auth.roles import phone_for
from ticketing.auth.service import Actor, audit
from ticketing.context import Ctx
from ticketing.database import DbSession
from ticketing.elders.models import Elder, ElderNumber, SosCall, SosEvent
from ticketing.elders.schemas import ElderOut, Words
from ticketing.elders.service import elder_by_number, present
from ticketing.elders.views import SOS_SUBJECT, Acd, Center
from ticketing.errors import NotFound
from ticketing.idempotent import first_or_create
from ticketing.orders.enums import Channel, OrderType, Urgency
from ticketing.orders.schemas import Caller, CallRef, OrderCreate
from ticketing.orders.service import create_order
from ticketing.orgs.models import Subject
from yht.phones import Phone

sos_router = APIRouter(prefix="/sos-calls", tags=["elders 一键呼叫档案"])


class SosStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    kind: str = Field(pattern="^(start|offered|answered|escalated|dialled|dial_failed|joined"
                              "|left|contact_called|overdue|ended)$")  # fmt: skip
    at: float = Field(gt=0, lt=4_102_444_800)  # epoch seconds, before 2100
    detail: Words = ""
    seat: Annotated[str, StringConstraints(pattern=r"^[0-9]{3,6}$")] | None = None
    caller: Phone | None = None
    hotline: Annotated[str, StringConstraints(max_length=16)] = ""
    known: bool | None = None
    recording: Annotated[str, StringConstraints(max_length=255)] = ""


class SosStepOut(BaseModel):
    kind: str
    at: dt.datetime
    detail: str
    seat: str | None


class SosCallOut(BaseModel):
    call_id: str
    order_id: int
    order_number: str
    elder: ElderOut | None
    caller: str | None
    hotline: str
    recording: str
    follow_up: bool
    timeline: list[SosStepOut]


def _open_record(db_session: Session, ctx, body: SosStepIn, actor: Actor) -> SosCall:
    """The first step reported for a call makes its emergency work order, with
    the profile (or, for an unknown number, an empty one to follow up)."""
    elder = elder_by_number(db_session, body.caller)
    follow_up = elder is None or elder.follow_up
    if elder is None and body.caller:
        elder = Elder(name="未登记", follow_up=True)
        db_session.add(elder)
        db_session.flush()
        db_session.add(ElderNumber(elder_id=elder.id, number=body.caller, confirmed=False))
    # health data stays in the profile (agents, shift leads): the order text
    # reaches the units it is dispatched to
    if elder is not None and not elder.follow_up:
        content = (f"一键呼叫 (SOS): {elder.name}, {elder.age or '?'} 岁, {elder.address}."
                   f" 社区: {elder.community} {elder.grid}, 联系人 {elder.worker_name}."
                   " 健康信息见一键呼叫档案 (仅热线中心可见).")  # fmt: skip
    else:
        content = ("一键呼叫 (SOS): 号码未登记, 按紧急情况处理. 需核实身份并补录档案."
                   if body.caller else "一键呼叫 (SOS): 未显示号码, 按紧急情况处理.")  # fmt: skip
    subject = SOS_SUBJECT if db_session.get(Subject, SOS_SUBJECT) is not None else None
    order = create_order(db_session=db_session, ctx=ctx, actor=actor, data=OrderCreate(
        channel=Channel.phone, type=OrderType.help, subject_code=subject,
        urgency=Urgency.urgent, content=content,
        caller=Caller(phone=body.caller, name=elder.name if elder else None,
                      address=(elder.address or None) if elder else None,
                      latitude=elder.latitude if elder else None,
                      longitude=elder.longitude if elder else None),
        call=CallRef(call_id=body.call_id, recording=body.recording or None),
    ))  # fmt: skip
    record = SosCall(call_id=body.call_id, order_id=order.id,
                     elder_id=elder.id if elder else None, caller_phone=body.caller,
                     hotline=body.hotline, recording=body.recording,
                     follow_up=follow_up)  # fmt: skip
    db_session.add(record)
    db_session.flush()
    return record


@sos_router.post("/events", status_code=status.HTTP_201_CREATED, response_model=SosStepOut,
                 responses={200: {"description": "this step was reported already"}})  # fmt: skip
def report_step(body: SosStepIn, response: Response, db_session: DbSession, ctx: Ctx,
                actor: Acd) -> SosStepOut:  # fmt: skip
    """The ACD reports one step of an SOS call; idempotent per (call, kind, time)."""
    query = select(SosCall).where(SosCall.call_id == body.call_id)
    record, _ = first_or_create(db_session, query, lambda: _open_record(db_session, ctx, body,
                                                                          actor))  # fmt: skip
    if body.recording and not record.recording:
        record.recording = body.recording
    at = dt.datetime.fromtimestamp(body.at, dt.UTC)
    same = (SosEvent.sos_call_id == record.id, SosEvent.kind == body.kind, SosEvent.at == at)
    existing = db_session.scalar(select(SosEvent).where(*same))
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return SosStepOut(kind=existing.kind, at=existing.at, detail=existing.detail,
                          seat=existing.seat)  # fmt: skip
    step = SosEvent(sos_call_id=record.id, kind=body.kind, at=at, detail=body.detail,
                    seat=body.seat)  # fmt: skip
    db_session.add(step)
    db_session.flush()
    return SosStepOut(kind=step.kind, at=step.at, detail=step.detail, seat=step.seat)


@sos_router.get("/{call_id}", response_model=SosCallOut)
def sos_call(call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)],
             db_session: DbSession, actor: Center) -> SosCallOut:  # fmt: skip
    from ticketing.orders.models import WorkOrder

    record = db_session.scalar(select(SosCall).where(SosCall.call_id == call_id))
    if record is None:
        raise NotFound(f"没有这通一键呼叫: {call_id}")
    order = db_session.get(WorkOrder, record.order_id)
    assert order is not None
    elder = db_session.get(Elder, record.elder_id) if record.elder_id else None
    steps = db_session.scalars(select(SosEvent).where(SosEvent.sos_call_id == record.id)
                               .order_by(SosEvent.at, SosEvent.id))  # fmt: skip
    audit(db_session, actor, "read", f"sos:{record.id}")
    return SosCallOut(
        call_id=record.call_id, order_id=order.id, order_number=order.number,
        elder=present(db_session, elder, actor) if elder else None,
        caller=phone_for(actor.role, record.caller_phone), hotline=record.hotline,
        recording=record.recording, follow_up=record.follow_up,
        timeline=[SosStepOut(kind=s.kind, at=s.at, detail=s.detail, seat=s.seat) for s in steps],
    )  # fmt: skip
