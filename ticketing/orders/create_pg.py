"""Creating a work order on PostgreSQL in one statement (bench (p)).

The related-request lookup, the day's number, the order, its intake event,
its links, its call and the audit entry are one data-modifying CTE: one
round trip instead of eight, the same as a bare insert. The lookup reads the
snapshot from before the statement, so the new order never finds itself;
the day's counter row stays locked only from this statement to the commit.
SQLite takes the portable path in ticketing/orders/service.py; both write
the same rows (tests/ticketing/test_sqlite_orders.py, test_loop.py).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ticketing.auth.models import AuditEntry
from ticketing.orders.enums import State
from ticketing.orders.models import DailyCounter, OrderCall, OrderEvent, OrderLink, WorkOrder

_TABLES = WorkOrder.metadata.tables
_ORDER, _EVENT, _LINK, _CALL, _AUDIT = (_TABLES[model.__tablename__] for model in (
    WorkOrder, OrderEvent, OrderLink, OrderCall, AuditEntry))  # fmt: skip
# every column of the order but the two the database makes
COLUMNS = tuple(c.name for c in _ORDER.columns if c.name not in ("id", "number"))
CALL_COLUMNS = ("call_id", "recording", "transcript", "seat")


def create(
    db_session: Session,
    values: dict[str, Any],
    day: str,
    related: CompoundSelect | None,
    related_params: dict[str, Any],
    call: dict[str, Any] | None,
) -> tuple[int, str, list[tuple[str, int, str]]]:
    """Store the order `values` (every column in COLUMNS) and answer its id,
    number and related orders as (reason, id, number)."""
    params = {f"o_{name}": values[name] for name in COLUMNS}
    params.update(related_params, day=day)
    if call:
        params.update({f"c_{name}": call[name] for name in CALL_COLUMNS})
    rows = db_session.execute(_statement(related, call is not None), params).all()
    order_id, number = rows[0][0], rows[0][1]
    found = [(reason, other, other_number) for _, _, other, other_number, reason in rows
             if other is not None]  # fmt: skip
    return order_id, number, found


@functools.cache
def _statement(related: CompoundSelect | None, with_call: bool) -> Select:
    """Built once per shape of order (the related lookup's, and with a call
    or not); bound parameters: o_<column>, day, the lookup's, c_<column>."""
    counted = (
        pg_insert(DailyCounter)
        .values(day=bindparam("day", type_=String), last=1)
        .on_conflict_do_update(index_elements=[DailyCounter.day],
                               set_={"last": DailyCounter.last + 1})
        .returning(DailyCounter.last)
        .cte("counted")
    )  # fmt: skip
    number = (
        bindparam("day", type_=String)
        + "-"
        + func.lpad(cast(select(counted.c.last).scalar_subquery(), String), 6, "0")
    )
    values = {name: bindparam(f"o_{name}", type_=_ORDER.c[name].type) for name in COLUMNS}
    new = (
        insert(_ORDER).values(number=number, **values)
        .returning(_ORDER.c.id, _ORDER.c.number).cte("new_order")
    )  # fmt: skip
    at, actor = values["created_at"], values["created_by"]
    event = insert(_EVENT).from_select(
        ["order_id", "at", "actor_id", "action", "from_state", "to_state", "note"],
        select(
            new.c.id,
            at,
            actor,
            literal("intake"),
            null(),
            literal(State.intake.value),
            values["channel"],
        ),
    )
    entry = insert(_AUDIT).from_select(
        ["at", "user_id", "action", "target", "detail"],
        select(
            at, actor, literal("create"), literal("order:") + cast(new.c.id, String), literal("")
        ),
    )
    side = [event.cte("intake_event"), entry.cte("audit_entry")]
    if with_call:
        calls = insert(_CALL).from_select(
            ["order_id", *CALL_COLUMNS],
            select(
                new.c.id,
                *(bindparam(f"c_{name}", type_=_CALL.c[name].type) for name in CALL_COLUMNS),
            ),
        )
        side.append(calls.cte("order_call"))
    if related is None:
        return select(new.c.id, new.c.number, null(), null(), null()).add_cte(*side)
    found = related.cte("related")
    links = insert(_LINK).from_select(
        ["order_id", "related_id", "reason", "created_at"],
        select(new.c.id, found.c.id, found.c.reason, at).select_from(new.join(found, true())),
    )
    side.append(links.cte("links"))
    return (
        select(new.c.id, new.c.number, found.c.id, found.c.number, found.c.reason)
        .select_from(new.outerjoin(found, true()))
        .order_by(found.c.id, found.c.reason)
        .add_cte(*side)
    )
