"""The deadline scanner: finds due-soon and overdue work orders and raises
supervision (督办) up the configured ladder. Idempotent: one row per order
and rung, so it can run every minute, from several processes."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.context import Context
from ticketing.orders.models import WorkOrder
from ticketing.orders.service import OPEN_STATES
from ticketing.supervision.models import Supervision

log = logging.getLogger("ticketing.supervision")
WARNING = (0, "超期预警")


def rungs_reached(ctx: Context, order: WorkOrder, now: dt.datetime) -> list[tuple[int, str, str]]:
    """(level, name, reason) of every rung this order has reached at `now`."""
    policy = ctx.policy.supervision
    reached: list[tuple[int, str, str]] = []
    if order.due_at is not None:
        if now >= order.due_at:
            for rung in policy.ladder:
                if now >= ctx.calendar.apply(order.due_at, rung.overdue):
                    reached.append(
                        (rung.level, rung.name, f"超过办理时限 {order.due_at.isoformat()}")
                    )
        elif order.due_at - now < (order.due_at - order.created_at) * policy.warn_fraction:
            reached.append((*WARNING, f"即将超期, 时限 {order.due_at.isoformat()}"))
    if order.reopen_count >= policy.reopened_times_for_joint:
        joint = next((r for r in policy.ladder if r.level == 2), None)
        if joint is not None:
            reached.append((joint.level, joint.name, f"回访不满意 {order.reopen_count} 次"))
    return reached


def scan(*, db_session: Session, ctx: Context, now: dt.datetime) -> list[Supervision]:
    orders = db_session.scalars(
        select(WorkOrder).where(WorkOrder.state.in_(OPEN_STATES), WorkOrder.due_at.is_not(None))
    ).all()
    query = select(Supervision.order_id, Supervision.level).where(
        Supervision.order_id.in_([o.id for o in orders])
    )
    existing = {(order_id, level) for order_id, level in db_session.execute(query)}
    raised = []
    for order in orders:
        for level, name, reason in rungs_reached(ctx, order, now):
            if (order.id, level) in existing:
                continue
            existing.add((order.id, level))
            raised.append(
                Supervision(
                    order_id=order.id,
                    unit_id=order.unit_id,
                    level=level,
                    name=name,
                    reason=reason,
                    raised_at=now,
                )
            )
    db_session.add_all(raised)
    db_session.flush()
    if raised:
        log.info("supervision raised=%d scanned=%d", len(raised), len(orders))
    return raised
