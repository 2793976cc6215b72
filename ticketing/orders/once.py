"""Create a work order once per Idempotency-Key: the channel gateways' intake
and the agent desk's draft (which retries while the service is down) share
this one helper. A key belongs to its sender and to one body; the same key
with another body is refused (409, logged), never answered with the order of
the first message."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.auth.service import Actor
from ticketing.context import Context
from ticketing.errors import Conflict
from ticketing.idempotent import first_or_create
from ticketing.orders import service
from ticketing.orders.models import IntakeKey, WorkOrder
from ticketing.orders.schemas import OrderCreate

log = logging.getLogger("ticketing.once")


def body_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create_once(*, db_session: Session, ctx: Context, actor: Actor, data: OrderCreate,
                channel: str, key: str, digest: str) -> tuple[WorkOrder, bool]:  # fmt: skip
    """The order for (actor, channel, key): made now (True) or before (False)."""

    def make() -> WorkOrder:
        order = service.create_order(db_session=db_session, ctx=ctx, data=data, actor=actor)
        db_session.add(IntakeKey(gateway_id=actor.id, channel=channel, key=key,
                                 body_hash=digest, order_id=order.id))  # fmt: skip
        return order

    order, created = first_or_create(db_session, _keyed(actor, channel, key), make)
    if not created:
        _same_body(db_session, actor, channel, key, digest)
    return order, created


def _keyed(actor: Actor, channel: str, key: str) -> Any:
    return (
        select(WorkOrder)
        .join(IntakeKey, IntakeKey.order_id == WorkOrder.id)
        .where(IntakeKey.gateway_id == actor.id, IntakeKey.channel == channel, IntakeKey.key == key)
    )


def _same_body(db_session: Session, actor: Actor, channel: str, key: str, digest: str) -> None:
    """The key came before: with this very body, or refused."""
    mine = (IntakeKey.gateway_id == actor.id, IntakeKey.channel == channel, IntakeKey.key == key)
    stored = db_session.scalar(select(IntakeKey.body_hash).where(*mine))
    if stored != digest:
        log.warning("Idempotency-Key replayed with another body by %s on %s", actor.username,
                    channel)  # fmt: skip
        raise Conflict("Idempotency-Key 已用于另一条内容不同的消息; 新消息请使用新的键")
