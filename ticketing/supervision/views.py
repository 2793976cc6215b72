from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, Staff, audit, require
from ticketing.context import Ctx
from ticketing.database import DbSession, utcnow
from ticketing.orders.models import WorkOrder
from ticketing.supervision import service
from ticketing.supervision.models import Supervision
from ticketing.types import INT_MAX, PathId

router = APIRouter(prefix="/supervision", tags=["supervision 督办"])


class SupervisionOut(BaseModel):
    id: int
    order_id: PathId
    order_number: str
    unit_id: int | None
    level: int
    name: str
    reason: str
    raised_at: dt.datetime
    resolved_at: dt.datetime | None


@router.get("", response_model=list[SupervisionOut])
def supervision_ledger(
    db_session: DbSession,
    actor: Staff,
    open_only: bool = True,
    min_level: Annotated[int, Query(ge=0, le=10)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    order_id: Annotated[int | None, Query(ge=1, le=INT_MAX)] = None,
) -> list[SupervisionOut]:
    """督办台账: open items first by level. A unit handler sees its own unit's."""
    query = (
        select(Supervision, WorkOrder.number)
        .join(WorkOrder, WorkOrder.id == Supervision.order_id)
        .where(Supervision.level >= min_level)
    )
    if open_only:
        query = query.where(Supervision.resolved_at.is_(None))
    if order_id is not None:
        query = query.where(Supervision.order_id == order_id)
    if actor.role == Role.unit_handler:
        query = query.where(WorkOrder.unit_id == actor.unit_id)
    rows = db_session.execute(
        query.order_by(Supervision.level.desc(), Supervision.raised_at).limit(limit)
    )
    return [
        SupervisionOut(
            order_number=number,
            **{
                k: getattr(item, k)
                for k in (
                    "id",
                    "order_id",
                    "unit_id",
                    "level",
                    "name",
                    "reason",
                    "raised_at",
                    "resolved_at",
                )
            },
        )
        for item, number in rows
    ]


@router.post("/scan")
def scan_now(
    db_session: DbSession, ctx: Ctx, actor: Annotated[Actor, require(Role.shift_lead, Role.admin)]
) -> dict:
    """Run the deadline scan now (it also runs in the background every minute)."""
    raised = service.scan(db_session=db_session, ctx=ctx, now=utcnow())
    audit(db_session, actor, "scan", "supervision", str(len(raised)))
    return {"raised": len(raised)}
