"""Missed calls (未接来电): reported by the ACD, called back by agents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing.auth.roles import Role, phone_for
from ticketing.auth.service import Actor, audit, require
from ticketing.callbacks.models import MissedCall
from ticketing.database import DbSession, utcnow
from ticketing.errors import Conflict, NotFound
from ticketing.orders.models import WorkOrder
from ticketing.types import DbId, PathId
from yht.phones import Phone

router = APIRouter(prefix="/missed-calls", tags=["callbacks 回访"])
Center = Annotated[Actor, require(Role.agent, Role.shift_lead)]
Reporter = Annotated[Actor, require(Role.acd)]


class MissedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=64)
    caller: Phone | None = None
    hotline: str = Field(default="", max_length=16)
    queue: str = Field(default="", max_length=32)
    waited_s: int = Field(default=0, ge=0, le=86_400)
    reason: str = Field(pattern="^(abandoned|no_agent)$")


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


def _out(item: MissedCall, actor: Actor) -> MissedOut:
    fields = {k: getattr(item, k) for k in MissedOut.model_fields if k != "caller"}
    return MissedOut(caller=phone_for(actor.role, item.caller_phone), **fields)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MissedOut,
             responses={200: {"description": "already reported (same call_id)"}})  # fmt: skip
def report(body: MissedIn, response: Response, db_session: DbSession,
           actor: Reporter) -> MissedOut:  # fmt: skip
    """The ACD reports a caller who left the queue unanswered; idempotent per call."""
    existing = db_session.scalar(select(MissedCall).where(MissedCall.call_id == body.call_id))
    if existing is None:
        item = MissedCall(call_id=body.call_id, caller_phone=body.caller, hotline=body.hotline,
                          queue=body.queue, waited_s=body.waited_s, reason=body.reason)  # fmt: skip
        try:
            with db_session.begin_nested():
                db_session.add(item)
                db_session.flush()
            return _out(item, actor)
        except IntegrityError:
            existing = db_session.scalar(
                select(MissedCall).where(MissedCall.call_id == body.call_id))  # fmt: skip
    response.status_code = status.HTTP_200_OK
    assert existing is not None
    return _out(existing, actor)


@router.get("", response_model=list[MissedOut])
def missed_calls(
    db_session: DbSession,
    actor: Center,
    status_: Annotated[str, Query(alias="status", pattern="^(pending|done)$")] = "pending",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MissedOut]:
    """Callers to call back, oldest first."""
    rows = db_session.scalars(select(MissedCall).where(MissedCall.status == status_)
                              .order_by(MissedCall.id).limit(limit))  # fmt: skip
    audit(db_session, actor, "list", "missed-calls", status_)
    return [_out(r, actor) for r in rows]


@router.post("/{missed_id}/done", response_model=MissedOut)
def called_back(missed_id: PathId, body: MissedDone, db_session: DbSession,
                actor: Center) -> MissedOut:  # fmt: skip
    item = db_session.get(MissedCall, missed_id, with_for_update=True)
    if item is None:
        raise NotFound(f"未接来电不存在: {missed_id}")
    if item.status == "done":
        raise Conflict("已回拨")
    if body.order_id is not None and db_session.get(WorkOrder, body.order_id) is None:
        raise NotFound(f"工单不存在: {body.order_id}")
    item.status, item.note, item.order_id = "done", body.note, body.order_id
    item.agent_id, item.done_at = actor.id, utcnow()
    audit(db_session, actor, "called_back", f"missed:{missed_id}")
    db_session.flush()
    return _out(item, actor)
