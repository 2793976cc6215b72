"""HTTP routes of work orders. Thin: parse, authorise, call a flow, present."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi import Path as FastApiPath
from pydantic import BaseModel
from sqlalchemy import select

from ticketing.auth.models import User
from ticketing.auth.roles import Role, text_for
from ticketing.auth.service import Actor, Staff, audit, require
from ticketing.context import Ctx
from ticketing.database import DbSession
from ticketing.errors import Forbidden, Invalid, NotFound
from ticketing.orders import flows, service
from ticketing.orders.enums import Channel, OrderType, State, Urgency
from ticketing.orders.models import OrderCall, ReassignRequest, WorkOrder
from ticketing.orders.once import body_hash, create_once
from ticketing.orders.schemas import (
    CallRef,
    EventOut,
    MergeIn,
    OrderCreate,
    OrderOut,
    OrderPage,
    OrderUpdate,
    ReassignDecisionIn,
    ReassignRequestIn,
    ReassignRequestOut,
    TransitionIn,
)
from ticketing.recordings.text import call_for_order
from ticketing.types import INT_MAX, Moment, PathId
from yht.phones import Phone

router = APIRouter(prefix="/orders", tags=["work orders 工单"])
progress_router = APIRouter(prefix="/progress", tags=["work orders 工单"])
Center = Annotated[Actor, require(Role.agent, Role.shift_lead)]
ShiftLead = Annotated[Actor, require(Role.shift_lead)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrderOut,
             responses={200: {"description": "a retry with the same Idempotency-Key"}})  # fmt: skip
def create_order(
    body: OrderCreate,
    db_session: DbSession,
    ctx: Ctx,
    actor: Center,
    key: Annotated[
        str | None, Header(min_length=8, max_length=128, alias="Idempotency-Key")
    ] = None,
) -> Response:
    """受理: a new work order from a call or a walk-in; related requests are linked.
    With an `Idempotency-Key` (the desk sends one per draft and retries while
    the service is down) a retry answers 200 with the order the first made."""
    if key is None:
        order = service.create_order(db_session=db_session, ctx=ctx, data=body, actor=actor)
    else:
        order, created = create_once(db_session=db_session, ctx=ctx, actor=actor, data=body,
                                     channel="desk", key=key,
                                     digest=body_hash(body.model_dump_json()))  # fmt: skip
        if not created:
            return _json(service.present(db_session, order, actor, detail=True), status.HTTP_200_OK)
    # audited by the create; a new order has no assisting unit yet, and the
    # create knows its related orders and calls: nothing is read back
    out = service.present(db_session, order, actor, detail=True, assists=[], new=True)
    return _json(out, status.HTTP_201_CREATED)


def _json(out: BaseModel, status_code: int) -> Response:
    """The answer as the response model already made it: FastAPI would
    validate and serialise it once more (bench (p))."""
    return Response(out.model_dump_json(), status_code, media_type="application/json")


@router.get("", response_model=OrderPage)
def list_orders(
    db_session: DbSession,
    ctx: Ctx,
    actor: Staff,
    state: State | None = None,
    type: OrderType | None = None,
    unit_id: Annotated[int | None, Query(ge=1, le=INT_MAX)] = None,
    subject_code: str | None = None,
    channel: Channel | None = None,
    caller_phone: Annotated[Phone | None, Query()] = None,
    overdue: bool | None = None,
    created_from: Moment | None = None,
    created_to: Moment | None = None,
    urgency: Urgency | None = None,
    due_within_h: Annotated[float | None, Query(gt=0, le=24 * 60)] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="工单号、来电号码、姓名、内容或地址"),
    ] = None,
    sort: Annotated[str, Query(pattern="^(newest|due)$")] = "newest",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> OrderPage:
    """Orders this user may see, newest first (or `sort=due`: the nearest
    time limit first), with filters; `q` searches the number, the caller's
    number (center staff only) or name, the content and the address."""
    if caller_phone and actor.role not in (Role.agent, Role.shift_lead):
        raise Forbidden("按来电号码查询仅限中心话务员和值班长")
    for moment in (created_from, created_to):
        if moment is not None and moment.tzinfo is None:
            raise Invalid("created_from/created_to: 时间需要带时区, 例如 2026-11-25T08:00:00+08:00")
    orders, total = service.list_orders(
        db_session=db_session,
        ctx=ctx,
        actor=actor,
        state=state,
        order_type=type,
        unit_id=unit_id,
        subject_code=subject_code,
        channel=channel,
        caller_phone=caller_phone,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        limit=limit,
        offset=offset,
        urgency=urgency,
        due_within_h=due_within_h,
        text=q,
        oldest_first=sort == "due",
    )
    audit(db_session, actor, "list", "orders", f"state={state} unit={unit_id} n={len(orders)}")
    items = service.present_many(db_session, orders, actor)
    return OrderPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{order_id}", response_model=OrderOut)
def read_order(order_id: PathId, db_session: DbSession, actor: Staff) -> OrderOut:
    order = service.get_order(db_session=db_session, order_id=order_id, actor=actor)
    audit(db_session, actor, "read", f"order:{order_id}")
    return service.present(db_session, order, actor, detail=True)


@router.patch("/{order_id}", response_model=OrderOut)
def update_order(
    order_id: PathId, body: OrderUpdate, db_session: DbSession, ctx: Ctx, actor: Center
) -> OrderOut:
    """Reclassify (type, subject, urgency) or complete content and caller before dispatch."""
    order = flows.update(db_session=db_session, ctx=ctx, order_id=order_id, actor=actor, body=body)
    audit(db_session, actor, "update", f"order:{order_id}")
    return service.present(db_session, order, actor, detail=True)


@router.get("/{order_id}/events", response_model=list[EventOut])
def order_events(order_id: PathId, db_session: DbSession, actor: Staff) -> list[EventOut]:
    service.get_order(db_session=db_session, order_id=order_id, actor=actor)
    events = service.events_of(db_session, order_id)
    ids = {e.actor_id for e in events if e.actor_id is not None}
    names = dict(
        db_session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    )
    audit(db_session, actor, "read_events", f"order:{order_id}")
    return [
        EventOut.model_validate(e, from_attributes=True).model_copy(
            update={
                "note": text_for(actor.role, e.note),
                "actor_name": names.get(e.actor_id or 0, ""),
            }
        )
        for e in events
    ]


@router.post(
    "/{order_id}/transitions",
    response_model=OrderOut,
    responses={409: {"description": "not allowed now, or stale version"}},
)
def transition(
    order_id: PathId, body: TransitionIn, db_session: DbSession, ctx: Ctx, actor: Staff
) -> OrderOut:
    """One step of the loop: register, answer_on_spot, dispatch, accept, feedback,
    return_for_rework, close, reassign. `version` must be the one last read."""
    order = flows.transition(
        db_session=db_session, ctx=ctx, order_id=order_id, actor=actor, body=body
    )
    audit(db_session, actor, body.action, f"order:{order_id}")
    return service.present(db_session, order, actor)


@router.post("/{order_id}/reassign-requests", status_code=201, response_model=ReassignRequestOut)
def request_reassign(
    order_id: PathId, body: ReassignRequestIn, db_session: DbSession, actor: Staff
) -> ReassignRequestOut:
    """不得退单: the owning unit asks the center to reassign; the order stays with it."""
    request = flows.request_reassign(
        db_session=db_session, order_id=order_id, actor=actor, reason=body.reason
    )
    audit(db_session, actor, "request_reassign", f"order:{order_id}")
    return ReassignRequestOut.model_validate(request, from_attributes=True)


@router.get("/{order_id}/reassign-requests", response_model=list[ReassignRequestOut])
def reassign_requests(
    order_id: PathId, db_session: DbSession, actor: Staff
) -> list[ReassignRequestOut]:
    service.get_order(db_session=db_session, order_id=order_id, actor=actor)
    rows = db_session.scalars(select(ReassignRequest).where(ReassignRequest.order_id == order_id))
    audit(db_session, actor, "read_reassign_requests", f"order:{order_id}")
    return [ReassignRequestOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{order_id}/reassign-requests/{request_id}/decision", response_model=OrderOut)
def decide_reassign(
    order_id: PathId,
    request_id: PathId,
    body: ReassignDecisionIn,
    db_session: DbSession,
    ctx: Ctx,
    actor: ShiftLead,
) -> OrderOut:
    order = flows.decide_reassign(
        db_session=db_session,
        ctx=ctx,
        order_id=order_id,
        request_id=request_id,
        actor=actor,
        approve=body.approve,
        version=body.version,
        unit_id=body.unit_id,
        note=body.note,
    )
    audit(db_session, actor, "decide_reassign", f"order:{order_id}", str(body.approve))
    return service.present(db_session, order, actor)


@router.post("/{order_id}/merge", response_model=OrderOut)
def merge(order_id: PathId, body: MergeIn, db_session: DbSession, actor: ShiftLead) -> OrderOut:
    """并案: fold this duplicate into `into_order_id`; both histories are kept."""
    order = flows.merge(
        db_session=db_session,
        order_id=order_id,
        into_id=body.into_order_id,
        actor=actor,
        version=body.version,
        note=body.note,
    )
    audit(db_session, actor, "merge", f"order:{order_id}", f"into={body.into_order_id}")
    return service.present(db_session, order, actor)


@router.post("/{order_id}/calls", status_code=201)
def link_call(order_id: PathId, body: CallRef, db_session: DbSession, actor: Center) -> dict:
    """Link a call (and its recording / transcript) to a work order."""
    service.get_order(db_session=db_session, order_id=order_id, actor=actor)
    call = call_for_order(db_session, actor, body.model_dump())
    db_session.add(OrderCall(order_id=order_id, **call))
    db_session.flush()
    audit(db_session, actor, "link_call", f"order:{order_id}")
    return {"order_id": order_id, "call_id": body.call_id}


class ProgressOut(BaseModel):
    number: str
    state: State
    closed: bool


@progress_router.get("/{number}", response_model=ProgressOut)
def progress(
    number: Annotated[str, FastApiPath(pattern=r"^\d{8}-\d{6}$")],
    db_session: DbSession,
    actor: Annotated[Actor, require(Role.ivr, Role.agent, Role.shift_lead)],
) -> ProgressOut:
    """A work order's stage by the number the citizen quotes (key 1 of the voice
    menu). Nothing personal: the number, the state, whether it is closed."""
    order = db_session.scalar(select(WorkOrder).where(WorkOrder.number == number))
    if order is None:
        raise NotFound(f"工单不存在: {number}")
    audit(db_session, actor, "progress", f"order:{order.id}")
    state = State(order.state)
    return ProgressOut(
        number=order.number, state=state, closed=state in (State.closed, State.evaluated)
    )
