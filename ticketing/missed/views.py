"""Missed calls (未接来电, 回拨): reported by the ACD, called back by agents.
零呼损: every caller who left the queue unanswered is called back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from ticketing.auth.roles import Role, phone_for
from ticketing.auth.service import Actor, audit, require
from ticketing.database import DbSession, utcnow
from ticketing.errors import Conflict, NotFound
from ticketing.idempotent import reported_once
from ticketing.missed.models import MissedCall
from ticketing.missed.schemas import MissedDone, MissedIn, MissedOut
from ticketing.orders.models import WorkOrder
from ticketing.types import PathId

router = APIRouter(prefix="/missed-calls", tags=["missed 回拨"])
Center = Annotated[Actor, require(Role.agent, Role.shift_lead)]
Reporter = Annotated[Actor, require(Role.acd)]


def _out(item: MissedCall, actor: Actor) -> MissedOut:
    fields = {k: getattr(item, k) for k in MissedOut.model_fields if k != "caller"}
    return MissedOut(caller=phone_for(actor.role, item.caller_phone), **fields)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MissedOut,
             responses={200: {"description": "already reported (same call_id)"}})  # fmt: skip
def report(body: MissedIn, response: Response, db_session: DbSession,
           actor: Reporter) -> MissedOut:  # fmt: skip
    """The ACD reports a caller who left the queue unanswered; idempotent per call."""

    def make() -> MissedCall:
        item = MissedCall(call_id=body.call_id, caller_phone=body.caller, hotline=body.hotline,
                          queue=body.queue, waited_s=body.waited_s, reason=body.reason)  # fmt: skip
        db_session.add(item)
        return item

    query = select(MissedCall).where(MissedCall.call_id == body.call_id)
    return _out(reported_once(db_session, query, make, response), actor)


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
