"""Work orders: numbering, intake, reading with access rules, presentation.

Module-level functions with keyword-only arguments; they flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ticketing.auth.roles import PERSONAL_VISIBLE, PHONE_VISIBLE, Role, phone_for, text_for
from ticketing.auth.service import Actor, audit
from ticketing.context import Context
from ticketing.database import utcnow
from ticketing.errors import NotFound
from ticketing.orders import create_pg, workflow
from ticketing.orders.enums import Channel, OrderType, State, Urgency, Verdict
from ticketing.orders.models import (
    DailyCounter,
    OrderCall,
    OrderEvent,
    OrderLink,
    OrderUnit,
    WorkOrder,
)
from ticketing.orders.related import address_key, link, lookup
from ticketing.orders.schemas import CallerOut, OrderCreate, OrderOut, RelatedOut
from ticketing.orgs.service import subject_exists
from ticketing.recordings.text import call_for_order
from ticketing.supervision.policy import due_at
from yht.phones import canonical
from yht.privacy import normalise_digits, number_key

# Session.info key: orders created in this session -> (related, calls) as created
NEW_ORDERS = "yht_new_orders"
OPEN_STATES = (State.intake, State.case, State.dispatched, State.processing, State.feedback)


def take_number(db_session: Session, order_id: int, key: str) -> str:
    """Give the order the day's next number, YYYYMMDD-NNNNNN, and answer it
    (SQLite; PostgreSQL numbers in the create statement, create_pg.py).

    The day's counter row is counted up in one atomic INSERT ... ON CONFLICT
    DO UPDATE ... RETURNING (the day's first order makes its row). A plain
    UPDATE of the table: taking the number is part of creating, not a new
    version of the order."""
    last = db_session.scalar(
        sqlite.insert(DailyCounter)
        .values(day=key, last=1)
        .on_conflict_do_update(index_elements=[DailyCounter.day],
                               set_={"last": DailyCounter.last + 1})
        .returning(DailyCounter.last)
    )  # fmt: skip
    number = f"{key}-{last:06d}"
    # the column's onupdate would move updated_at: the order is still as created
    db_session.execute(update(WorkOrder).where(WorkOrder.id == order_id)
                       .values(number=number, updated_at=WorkOrder.created_at))  # fmt: skip
    return number


def _by_id(found: tuple[str, int, str]) -> tuple[int, str]:
    return found[1], found[0]


def phone_key(ctx: Context, phone: str | None) -> str | None:
    return number_key(phone, ctx.settings.caller_hash_key) if phone else None


def create_order(
    *, db_session: Session, ctx: Context, data: OrderCreate, actor: Actor
) -> WorkOrder:
    """受理: store a new order with its intake event, related links, call and
    audit entry, numbered YYYYMMDD-NNNNNN by the day (China time)."""
    if data.subject_code and not subject_exists(db_session, data.subject_code):
        raise NotFound(f"没有这个诉求分类: {data.subject_code}")
    now = utcnow()
    values = {
        "channel": data.channel.value, "type": data.type.value, "subject_code": data.subject_code,
        "urgency": data.urgency.value, "content": data.content, "caller_phone": data.caller.phone,
        "caller_key": phone_key(ctx, data.caller.phone), "caller_name": data.caller.name,
        "address": data.caller.address, "address_key": address_key(data.caller.address),
        "latitude": data.caller.latitude, "longitude": data.caller.longitude,
        "state": State.intake.value, "unit_id": None, "created_by": actor.id, "created_at": now,
        "updated_at": now, "due_at": due_at(ctx.policy, ctx.calendar, now, data.type, data.urgency),
        "closed_at": None, "verdict": None, "reopen_count": 0, "merged_into_id": None,
        "version": 1,
    }  # fmt: skip
    call = call_for_order(db_session, actor, data.call.model_dump()) if data.call else None
    day = now.astimezone(ctx.policy.tz).date().strftime("%Y%m%d")
    order = WorkOrder(**values)
    statement, params = lookup(order, ctx.policy.related)
    if db_session.get_bind().dialect.name == "postgresql":
        order.id, order.number, related = create_pg.create(db_session, values, day, statement,
                                                           params, call)  # fmt: skip
        # stored as it is: a persistent object without reading it back
        make_transient_to_detached(order)
        db_session.add(order)
    else:
        related = _create_portable(db_session, order, day, statement, params, call, actor)
    # what the answer shows is known here: present() need not read it back
    db_session.info.setdefault(NEW_ORDERS, {})[order.id] = (
        [RelatedOut(order_id=i, number=n, reason=r) for r, i, n in sorted(related, key=_by_id)],
        [(call["call_id"], call["transcript"])] if call else [],
    )
    return order


def _create_portable(
    db_session: Session,
    order: WorkOrder,
    day: str,
    statement: Any,
    params: dict,
    call: dict | None,
    actor: Actor,
) -> list[tuple[str, int, str]]:
    """The same rows as ticketing/orders/create_pg.py, statement by statement."""
    related = ([(r.reason, r.id, r.number) for r in db_session.execute(statement, params)]
               if statement is not None else [])  # fmt: skip
    # a unique stand-in until the end: the day's counter row is locked from
    # taking a number to the commit, so the number is taken last
    order.number = f"p-{uuid.uuid4().hex[:16]}"
    db_session.add(order)
    db_session.flush()
    db_session.add(OrderEvent(order_id=order.id, at=order.created_at, actor_id=actor.id,
                              action="intake", from_state=None, to_state=State.intake,
                              note=order.channel))  # fmt: skip
    if call:
        db_session.add(OrderCall(order_id=order.id, **call))
    link(db_session, order.id, related, order.created_at)
    audit(db_session, actor, "create", f"order:{order.id}")
    db_session.flush()
    set_committed_value(order, "number", take_number(db_session, order.id, day))
    return related


def visible(query: Select, actor: Actor) -> Select:
    """A unit handler sees only work orders its unit owns or assists on."""
    if actor.role == Role.unit_handler:
        units = select(OrderUnit.order_id).where(OrderUnit.unit_id == actor.unit_id)
        return query.where(or_(WorkOrder.unit_id == actor.unit_id, WorkOrder.id.in_(units)))
    return query


def get_order(
    *, db_session: Session, order_id: int, actor: Actor, for_update: bool = False
) -> WorkOrder:
    query = visible(select(WorkOrder).where(WorkOrder.id == order_id), actor)
    if for_update:
        query = query.with_for_update()
    order = db_session.scalar(query)
    if order is None:
        raise NotFound(f"工单不存在: {order_id}")
    return order


def list_orders(
    *,
    db_session: Session,
    ctx: Context,
    actor: Actor,
    state: State | None,
    order_type: str | None,
    unit_id: int | None,
    subject_code: str | None,
    channel: str | None,
    caller_phone: str | None,
    overdue: bool | None,
    created_from: dt.datetime | None,
    created_to: dt.datetime | None,
    limit: int,
    offset: int,
    urgency: str | None = None,
    due_within_h: float | None = None,
    text: str | None = None,
    oldest_first: bool = False,
) -> tuple[list[WorkOrder], int]:
    query = visible(select(WorkOrder), actor)
    filters = {
        WorkOrder.state: state,
        WorkOrder.type: order_type,
        WorkOrder.unit_id: unit_id,
        WorkOrder.subject_code: subject_code,
        WorkOrder.channel: channel,
        WorkOrder.urgency: urgency,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if caller_phone:
        query = query.where(WorkOrder.caller_key == phone_key(ctx, caller_phone))
    if created_from:
        query = query.where(WorkOrder.created_at >= created_from)
    if created_to:
        query = query.where(WorkOrder.created_at < created_to)
    if overdue is not None:
        late = (WorkOrder.state.in_(OPEN_STATES)) & (WorkOrder.due_at < utcnow())
        query = query.where(late if overdue else ~late)
    if due_within_h is not None:  # due soon: open, and its limit ends within the hours
        soon = utcnow() + dt.timedelta(hours=due_within_h)
        query = query.where(WorkOrder.state.in_(OPEN_STATES), WorkOrder.due_at >= utcnow(),
                            WorkOrder.due_at < soon)  # fmt: skip
    if text:
        # the caller's number is searched for the center's staff only
        query = query.where(_matches(ctx, text, actor.role in PHONE_VISIBLE))
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (WorkOrder.due_at.asc().nulls_last(), WorkOrder.id) if oldest_first else (
        WorkOrder.id.desc(),)  # fmt: skip
    rows = db_session.scalars(query.order_by(*order).limit(limit).offset(offset))
    return list(rows), total


_DIGIT_RUN = re.compile(r"[0-9]{3}")


def _matches(ctx: Context, text: str, sees_numbers: bool):
    """The search box: an order number, a caller's number (by its key: the
    number is not stored in clear for matching), or words of the caller's
    name, the content or the address.

    A role that sees numbers masked searches by number exactly or not at
    all: a term with three digits or more (however written) matches words
    only when it is a whole phone number, so the masked digits of an order's
    text cannot be rebuilt by searching 138, 1380, 13800, ..."""
    text = text.strip()
    if not sees_numbers and _DIGIT_RUN.search(normalise_digits(text).replace(" ", "")):
        number = canonical(text)
        if number is None or len(number.lstrip("+")) < 10:
            return WorkOrder.number == text
        like = f"%{number}%"
        return or_(WorkOrder.number == text, WorkOrder.content.ilike(like))
    like = f"%{text.replace('%', '').replace('_', '')}%"
    found = [WorkOrder.number == text, WorkOrder.caller_name.ilike(like),
             WorkOrder.content.ilike(like), WorkOrder.address.ilike(like)]  # fmt: skip
    number = canonical(text) if sees_numbers else None
    if number is not None:
        found.append(WorkOrder.caller_key == phone_key(ctx, number))
    return or_(*found)


def assisting_units(db_session: Session, order_ids: list[int]) -> dict[int, list[int]]:
    """Assisting (协办) units of several orders in one query."""
    found: dict[int, list[int]] = {order_id: [] for order_id in order_ids}
    rows = db_session.execute(
        select(OrderUnit.order_id, OrderUnit.unit_id)
        .where(OrderUnit.order_id.in_(order_ids), OrderUnit.role == "assist")
        .order_by(OrderUnit.id)
    )
    for order_id, unit_id in rows:
        found[order_id].append(unit_id)
    return found


def present_many(db_session: Session, orders: list[WorkOrder], actor: Actor) -> list[OrderOut]:
    assists = assisting_units(db_session, [o.id for o in orders])
    return [present(db_session, o, actor, assists=assists[o.id]) for o in orders]


def present(
    db_session: Session,
    order: WorkOrder,
    actor: Actor,
    *,
    detail: bool = False,
    assists: list[int] | None = None,
    new: bool = False,
) -> OrderOut:
    phone = phone_for(actor.role, order.caller_phone)
    personal = actor.role in PERSONAL_VISIBLE
    if assists is None:
        assists = assisting_units(db_session, [order.id])[order.id]
    out = OrderOut(
        id=order.id,
        number=order.number,
        channel=Channel(order.channel),
        type=OrderType(order.type),
        subject_code=order.subject_code,
        urgency=Urgency(order.urgency),
        content=text_for(actor.role, order.content),
        caller=CallerOut(
            phone=phone,
            name=order.caller_name if personal else None,
            address=order.address if personal else None,
            latitude=order.latitude if personal else None,
            longitude=order.longitude if personal else None,
        ),
        state=State(order.state),
        unit_id=order.unit_id,
        assist_unit_ids=list(assists),
        created_at=order.created_at,
        due_at=order.due_at,
        closed_at=order.closed_at,
        verdict=Verdict(order.verdict) if order.verdict else None,
        reopen_count=order.reopen_count,
        merged_into_id=order.merged_into_id,
        overdue=bool(order.due_at and order.state in OPEN_STATES and order.due_at < utcnow()),
        version=order.version,
        actions=workflow.allowed(
            state=State(order.state),
            role=actor.role,
            order_type=OrderType(order.type),
            actor_unit=actor.unit_id,
            main_unit=order.unit_id,
        ),
    )
    if detail:
        known = db_session.info.get(NEW_ORDERS, {}).get(order.id) if new else None
        if known is not None:  # created in this request, answered from what it made
            out.related, calls = known
        else:
            out.related = related_of(db_session, order.id)
            calls = db_session.execute(select(OrderCall.call_id, OrderCall.transcript)
                                       .where(OrderCall.order_id == order.id)).all()  # fmt: skip
        out.calls = [call_id for call_id, _ in calls]
        out.transcripts = {call_id: text_for(actor.role, transcript)
                           for call_id, transcript in calls if transcript}  # fmt: skip
    return out


def related_of(db_session: Session, order_id: int) -> list[RelatedOut]:
    forward = select(OrderLink.related_id.label("other"), OrderLink.reason).where(
        OrderLink.order_id == order_id
    )
    backward = select(OrderLink.order_id.label("other"), OrderLink.reason).where(
        OrderLink.related_id == order_id
    )
    links = forward.union(backward).subquery()
    rows = db_session.execute(
        select(links.c.other, links.c.reason, WorkOrder.number)
        .join(WorkOrder, WorkOrder.id == links.c.other)
        .order_by(links.c.other, links.c.reason)
    ).all()
    return [RelatedOut(order_id=r.other, number=r.number, reason=r.reason) for r in rows]


def events_of(db_session: Session, order_id: int) -> list[OrderEvent]:
    return list(
        db_session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        )
    )
