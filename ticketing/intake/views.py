"""Channel gateways deliver citizens' messages here. Each delivery carries an
Idempotency-Key; a retried delivery finds the work order the first one made."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.context import Ctx
from ticketing.database import DbSession
from ticketing.orders import service
from ticketing.orders.enums import Channel, OrderType
from ticketing.orders.models import IntakeKey, WorkOrder
from ticketing.orders.schemas import Caller, OrderCreate, OrderOut, Phone, Short, Text

router = APIRouter(prefix="/intake", tags=["intake 多渠道受理"])
Gateway = Annotated[Actor, require(Role.gateway)]
IdempotencyKey = Annotated[str, Header(min_length=8, max_length=128, alias="Idempotency-Key")]


class MessageChannel(StrEnum):
    sms = "sms"
    web = "web"
    wechat = "wechat"


class ChannelMessage(BaseModel):
    """A citizen's message as a gateway delivers it. The type defaults to 求助;
    the agent reclassifies at registration if needed."""

    model_config = ConfigDict(extra="forbid")
    phone: Phone | None = None
    name: str | None = Field(default=None, max_length=64)
    address: Short | None = None
    type: OrderType = OrderType.help
    subject_code: str | None = Field(default=None, max_length=32)
    content: Text


@router.post(
    "/{channel}",
    response_model=OrderOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "a retry: the work order the first delivery made"}},
)
def intake(
    channel: MessageChannel,
    body: ChannelMessage,
    key: IdempotencyKey,
    response: Response,
    db_session: DbSession,
    ctx: Ctx,
    actor: Gateway,
) -> OrderOut:
    existing = _order_for_key(db_session, channel, key)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        return service.present(db_session, existing, actor)
    data = OrderCreate(
        channel=Channel(channel),
        type=body.type,
        subject_code=body.subject_code,
        content=body.content,
        caller=Caller(phone=body.phone, name=body.name, address=body.address),
    )
    try:
        with db_session.begin_nested():
            order = service.create_order(db_session=db_session, ctx=ctx, data=data, actor=actor)
            db_session.add(IntakeKey(channel=channel, key=key, order_id=order.id))
            db_session.flush()
    except IntegrityError:
        # the same delivery raced us and won: answer with its order
        existing = _order_for_key(db_session, channel, key)
        if existing is None:
            raise
        response.status_code = status.HTTP_200_OK
        return service.present(db_session, existing, actor)
    audit(db_session, actor, "intake", f"order:{order.id}", str(channel))
    return service.present(db_session, order, actor)


def _order_for_key(db_session, channel: str, key: str) -> WorkOrder | None:
    return db_session.scalar(
        select(WorkOrder)
        .join(IntakeKey, IntakeKey.order_id == WorkOrder.id)
        .where(IntakeKey.channel == channel, IntakeKey.key == key)
    )
