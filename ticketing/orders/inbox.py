"""The shift lead's inboxes across orders: reassign requests (不得退单: a
unit asks, the center decides), oldest first; and duplicate candidates
(two open orders linked as the same caller or the same address), side by
side for a merge (并案)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.database import DbSession
from ticketing.orders.models import OrderLink, ReassignRequest, WorkOrder
from ticketing.orders.service import OPEN_STATES
from ticketing.orgs.models import Unit

router = APIRouter(tags=["work orders 工单"])
DUPLICATE_REASONS = ("same_caller", "same_address")
ShiftLead = Annotated[Actor, require(Role.shift_lead)]


class InboxItem(BaseModel):
    id: int
    order_id: int
    order_number: str
    order_version: int
    order_state: str
    unit_id: int
    unit_name: str
    reason: str
    status: str
    created_at: dt.datetime


@router.get("/reassign-requests", response_model=list[InboxItem])
def inbox(
    db_session: DbSession,
    actor: ShiftLead,
    status: Annotated[str, Query(pattern="^(pending|approved|denied)$")] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[InboxItem]:
    rows = db_session.execute(
        select(ReassignRequest, WorkOrder.number, WorkOrder.version, WorkOrder.state, Unit.name)
        .join(WorkOrder, WorkOrder.id == ReassignRequest.order_id)
        .join(Unit, Unit.id == ReassignRequest.unit_id)
        .where(ReassignRequest.status == status)
        .order_by(ReassignRequest.created_at, ReassignRequest.id)
        .limit(limit)
    )  # fmt: skip
    audit(db_session, actor, "list", "reassign-requests", f"status={status}")
    return [
        InboxItem(
            id=r.id,
            order_id=r.order_id,
            order_number=number,
            order_version=version,
            order_state=state,
            unit_id=r.unit_id,
            unit_name=unit,
            reason=r.reason,
            status=r.status,
            created_at=r.created_at,
        )
        for r, number, version, state, unit in rows
    ]


class Side(BaseModel):
    id: int
    number: str
    state: str
    version: int
    content: str
    address: str | None
    created_at: dt.datetime


class Candidate(BaseModel):
    order: Side  # the later order: the one to fold into the other
    other: Side
    reasons: list[str]


@router.get("/duplicate-candidates", response_model=list[Candidate])
def duplicate_candidates(
    db_session: DbSession,
    actor: ShiftLead,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Candidate]:
    """Open orders linked to another open order by caller or address, newest
    first; both sides in full for the lead to compare."""
    links = db_session.execute(
        select(OrderLink.order_id, OrderLink.related_id, OrderLink.reason)
        .where(OrderLink.reason.in_(DUPLICATE_REASONS))
        .order_by(OrderLink.id.desc())
        .limit(limit * 4)
    ).all()  # fmt: skip
    pairs: dict[tuple[int, int], list[str]] = {}
    for order_id, related_id, reason in links:
        pairs.setdefault((max(order_id, related_id), min(order_id, related_id)), []).append(reason)
    ids = {i for pair in pairs for i in pair}
    open_ones = select(WorkOrder).where(WorkOrder.id.in_(ids), WorkOrder.state.in_(OPEN_STATES))
    orders = {o.id: o for o in db_session.scalars(open_ones)}

    def side(order: WorkOrder) -> Side:
        return Side.model_validate(order, from_attributes=True)

    found = [Candidate(order=side(orders[a]), other=side(orders[b]), reasons=sorted(set(r)))
             for (a, b), r in pairs.items() if a in orders and b in orders][:limit]  # fmt: skip
    audit(db_session, actor, "list", "duplicate-candidates", f"n={len(found)}")
    return found
