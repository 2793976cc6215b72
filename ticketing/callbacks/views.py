"""Callback tasks (回访): the agent calls the citizen back and records the verdict."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.callbacks.models import CallbackTask
from ticketing.database import DbSession, utcnow
from ticketing.errors import Conflict, Invalid, NotFound
from ticketing.orders import flows
from ticketing.orders.enums import GRADES, Verdict
from ticketing.orders.models import WorkOrder
from ticketing.types import PathId

router = APIRouter(prefix="/callbacks", tags=["callbacks 回访"])
Center = Annotated[Actor, require(Role.agent, Role.shift_lead)]


class CallbackOut(BaseModel):
    id: int
    order_id: PathId
    order_number: str
    unit_id: int | None
    status: str
    verdict: Verdict | None
    note: str
    created_at: dt.datetime
    done_at: dt.datetime | None


class CallbackResult(BaseModel):
    """满意 / 基本满意 / 不满意, or the 89000 centre's A / B / C grade (seed 004)."""

    model_config = ConfigDict(extra="forbid")
    verdict: Verdict | None = None
    grade: str | None = Field(default=None, pattern="^[ABC]$")
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def one_of(self) -> CallbackResult:
        if (self.verdict is None) == (self.grade is None):
            raise ValueError("verdict 与 grade 必须且只能给出一个")
        return self

    @property
    def resolved(self) -> Verdict:
        return self.verdict if self.verdict is not None else GRADES[self.grade or ""]


class CallbackPage(BaseModel):
    items: list[CallbackOut]
    total: int


def _out(task: CallbackTask, number: str) -> CallbackOut:
    return CallbackOut(
        order_number=number,
        **{k: getattr(task, k) for k in CallbackOut.model_fields if k != "order_number"},
    )


@router.get("", response_model=CallbackPage)
def list_callbacks(
    db_session: DbSession,
    actor: Center,
    status: Annotated[str, Query(pattern="^(pending|done)$")] = "pending",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CallbackPage:
    query = (
        select(CallbackTask, WorkOrder.number)
        .join(WorkOrder, WorkOrder.id == CallbackTask.order_id)
        .where(CallbackTask.status == status)
    )
    total = db_session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db_session.execute(query.order_by(CallbackTask.id).limit(limit).offset(offset)).all()
    audit(db_session, actor, "list", "callbacks", f"status={status} n={len(rows)}")
    return CallbackPage(items=[_out(t, n) for t, n in rows], total=total)


@router.post("/{task_id}/result", response_model=CallbackOut)
def record_result(
    task_id: PathId, body: CallbackResult, db_session: DbSession, actor: Center
) -> CallbackOut:
    """Record the citizen's verdict. 不满意 reopens the work order to the same unit."""
    task = db_session.get(CallbackTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"回访任务不存在: {task_id}")
    if task.status != "pending":
        raise Conflict("回访任务已完成")
    if not body.note and body.resolved == Verdict.unsatisfied:
        raise Invalid("note: 不满意需要记录原因")
    order = flows.record_verdict(
        db_session=db_session,
        order_id=task.order_id,
        actor=actor,
        verdict=body.resolved,
        note=body.note,
    )
    task.status, task.verdict, task.note = "done", body.resolved, body.note
    task.agent_id, task.done_at = actor.id, utcnow()
    db_session.flush()
    audit(db_session, actor, "callback", f"order:{order.id}", body.resolved)
    return _out(task, order.number)
