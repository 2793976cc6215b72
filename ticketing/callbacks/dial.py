"""What the seat phone dials for a callback (回访) or a missed call: the
citizen's number and the hotline number to show them, and the call id the
call will have (the ACD gives it to the seat's leg, whose recording is then
reported under it: a callback's recording is on its work order, like the
call that opened it). Asked by the bridge with the agent's own token when
the agent clicks 拨打 on the callback page, so the page never handles the
number and every dial is in the audit log."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, model_validator

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.callbacks.models import CallbackTask
from ticketing.context import Ctx
from ticketing.database import DbSession
from ticketing.errors import Conflict, Invalid, NotFound
from ticketing.missed.models import MissedCall
from ticketing.orders.models import OrderCall, WorkOrder
from ticketing.types import DbId

router = APIRouter(tags=["callbacks 回访"])
Center = Annotated[Actor, require(Role.agent, Role.shift_lead)]


class DialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    callback_id: DbId | None = None
    missed_id: DbId | None = None

    @model_validator(mode="after")
    def one_of(self) -> DialIn:
        if (self.callback_id is None) == (self.missed_id is None):
            raise ValueError("callback_id 与 missed_id 必须且只能给出一个")
        return self


class DialOut(BaseModel):
    number: str
    caller_id: str
    call_id: str  # cb<epoch>.<9 digits>, never one of Asterisk's own


def callback_call_id() -> str:
    """A call id for a callback: Asterisk's own are <epoch>.<sequence>."""
    return f"cb{int(time.time())}.{secrets.randbelow(10**9):09d}"


@router.post("/dial-targets", response_model=DialOut)
def dial_target(body: DialIn, db_session: DbSession, ctx: Ctx, actor: Center) -> DialOut:
    """The number to dial for a pending callback task or missed call."""
    if body.callback_id is not None:
        task = db_session.get(CallbackTask, body.callback_id)
        if task is None:
            raise NotFound(f"回访任务不存在: {body.callback_id}")
        if task.status != "pending":
            raise Conflict("回访任务已完成")
        order = db_session.get(WorkOrder, task.order_id)
        number, caller_id = (order.caller_phone if order else None), ctx.settings.callback_caller_id
        target = f"order:{task.order_id}"
    else:
        missed = db_session.get(MissedCall, body.missed_id)
        if missed is None:
            raise NotFound(f"未接来电不存在: {body.missed_id}")
        if missed.status != "pending":
            raise Conflict("该未接来电已回拨")
        number = missed.caller_phone
        caller_id = missed.hotline or ctx.settings.callback_caller_id
        target = f"missed:{missed.id}"
    if not number:
        raise Invalid("没有来电号码, 无法回拨")
    call_id = callback_call_id()
    if target.startswith("order:"):  # the callback's recording goes on its order
        db_session.add(OrderCall(order_id=int(target.removeprefix("order:")), call_id=call_id))
    audit(db_session, actor, "dial", target, f"call={call_id}")
    return DialOut(number=number, caller_id=caller_id, call_id=call_id)
