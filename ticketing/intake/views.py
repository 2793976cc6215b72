"""Channel gateways deliver citizens' messages here. Each delivery carries an
Idempotency-Key; a retried delivery finds the work order the first one made.
A key is the sending gateway's own (another gateway's key finds nothing), and
it stands for one message: the same key with another body is refused with 409
and logged, never answered with the first message's order."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, ConfigDict, Field

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.context import Ctx
from ticketing.database import DbSession
from ticketing.orders import service
from ticketing.orders.enums import Channel, OrderType
from ticketing.orders.once import body_hash, create_once
from ticketing.orders.schemas import Caller, OrderCreate, OrderOut, Phone, Short, Text

log = logging.getLogger("ticketing.intake")
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
    responses={
        200: {"description": "a retry: the work order the first delivery made"},
        409: {"description": "the key was used before with another message"},
    },
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
    data = OrderCreate(
        channel=Channel(channel),
        type=body.type,
        subject_code=body.subject_code,
        content=body.content,
        caller=Caller(phone=body.phone, name=body.name, address=body.address),
    )
    order, created = create_once(db_session=db_session, ctx=ctx, actor=actor, data=data,
                                 channel=str(channel), key=key,
                                 digest=body_hash(body.model_dump_json()))  # fmt: skip
    if not created:
        response.status_code = status.HTTP_200_OK
        return service.present(db_session, order, actor)
    audit(db_session, actor, "intake", f"order:{order.id}", str(channel))
    return service.present(db_session, order, actor)
