"""State changes of a work order and their side effects, in one place each.

Every change: lock the row, compare the client's version (optimistic lock),
ask the transition table, apply, append an event. Flows pass ids, not ORM
objects, between each other.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor
from ticketing.callbacks.models import CallbackTask
from ticketing.context import Context
from ticketing.database import utcnow
from ticketing.errors import Conflict, Forbidden, NotFound
from ticketing.orders import workflow
from ticketing.orders.enums import OrderType, State, Verdict
from ticketing.orders.models import OrderEvent, OrderUnit, ReassignRequest, WorkOrder
from ticketing.orders.related import address_key
from ticketing.orders.schemas import OrderUpdate, TransitionIn
from ticketing.orders.service import get_order, phone_key
from ticketing.orgs.models import Unit, UnitKind
from ticketing.orgs.service import subject_exists
from ticketing.supervision.models import Supervision
from ticketing.supervision.policy import due_at


def _locked(db_session: Session, order_id: int, actor: Actor, version: int) -> WorkOrder:
    order = get_order(db_session=db_session, order_id=order_id, actor=actor, for_update=True)
    _same_version(order, version)
    return order


def _same_version(order: WorkOrder, version: int) -> None:
    if order.version != version:
        raise Conflict(f"工单已被他人修改 (当前版本 {order.version}, 提交版本 {version}), 请刷新")


def _apply(db_session: Session, order: WorkOrder, actor: Actor, action: str, note: str) -> State:
    target = _check(order, actor, action)
    db_session.add(
        OrderEvent(
            order_id=order.id,
            actor_id=actor.id,
            action=action,
            from_state=order.state,
            to_state=target,
            unit_id=order.unit_id,
            note=note,
        )
    )
    order.state = target
    return target


def _record(db_session: Session, order: WorkOrder, actor: Actor, action: str, note: str) -> None:
    """An event that changes no state (a request, a denial, an edit, an absorbed duplicate)."""
    db_session.add(OrderEvent(order_id=order.id, actor_id=actor.id, action=action,
                              from_state=order.state, to_state=order.state,
                              unit_id=order.unit_id, note=note))  # fmt: skip


def _check(order: WorkOrder, actor: Actor, action: str) -> State:
    try:
        return workflow.check(
            action,
            state=State(order.state),
            role=actor.role,
            order_type=OrderType(order.type),
            actor_unit=actor.unit_id,
            main_unit=order.unit_id,
        )
    except workflow.TransitionRefused as refused:
        raise (Forbidden if refused.forbidden else Conflict)(refused.reason) from None


def _dispatchable(db_session: Session, unit_id: int | None, actor: Actor) -> Unit:
    if unit_id is None:
        raise Conflict("派遣需要指定主办单位 unit_id")
    unit = db_session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位不存在: {unit_id}")
    if unit.kind == UnitKind.district_center:
        raise Conflict("不能派遣给热线中心本身")
    return unit


def _set_units(db_session: Session, order: WorkOrder, main: int, assists: list[int]) -> None:
    db_session.execute(delete(OrderUnit).where(OrderUnit.order_id == order.id))
    order.unit_id = main
    db_session.add(OrderUnit(order_id=order.id, unit_id=main, role="main"))
    for unit_id in dict.fromkeys(assists):
        if unit_id != main:
            if db_session.get(Unit, unit_id) is None:
                raise NotFound(f"单位不存在: {unit_id}")
            db_session.add(OrderUnit(order_id=order.id, unit_id=unit_id, role="assist"))


def _resolve_supervision(db_session: Session, order_id: int) -> None:
    for item in db_session.scalars(
        select(Supervision).where(
            Supervision.order_id == order_id, Supervision.resolved_at.is_(None)
        )
    ):
        item.resolved_at = utcnow()


def transition(
    *, db_session: Session, ctx: Context, order_id: int, actor: Actor, body: TransitionIn
) -> WorkOrder:
    if body.action not in workflow.DIRECT_ACTIONS:
        raise Conflict(f"操作 {body.action} 不能直接执行 (回访、并案有专门的接口)")
    order = _locked(db_session, order_id, actor, body.version)
    if body.action in ("dispatch", "reassign"):
        _check(order, actor, body.action)
        unit = _dispatchable(db_session, body.unit_id, actor)
        _set_units(db_session, order, unit.id, body.assist_unit_ids)
        note = body.note or unit.name
    elif body.assist_unit_ids or body.unit_id is not None:
        raise Conflict("只有派遣或改派可以指定单位")
    else:
        note = body.note
    if body.action == "feedback" and not body.note.strip():
        raise Conflict("反馈需要填写办理结果")
    target = _apply(db_session, order, actor, body.action, note)
    if target == State.closed:
        _on_close(db_session, order)
    db_session.flush()
    return order


def _on_close(db_session: Session, order: WorkOrder) -> None:
    """核实结案: stop the clock, clear supervision, and queue the callback (回访)."""
    order.closed_at = utcnow()
    _resolve_supervision(db_session, order.id)
    db_session.add(CallbackTask(order_id=order.id, unit_id=order.unit_id))


def record_verdict(
    *, db_session: Session, order_id: int, actor: Actor, verdict: Verdict, note: str
) -> WorkOrder:
    """The citizen's verdict on a callback. 不满意 reopens the order to the same unit."""
    order = get_order(db_session=db_session, order_id=order_id, actor=actor, for_update=True)
    unit = db_session.get(Unit, order.unit_id) if order.unit_id else None
    if verdict == Verdict.unsatisfied and unit is not None:
        _apply(db_session, order, actor, "reopen", note or "回访不满意, 退回原承办单位重新办理")
        order.reopen_count += 1
        order.closed_at = None
    else:
        _apply(db_session, order, actor, "evaluate", note or verdict)
    order.verdict = verdict
    if unit is not None:
        field = f"verdicts_{verdict}"
        setattr(unit, field, getattr(unit, field) + 1)
    db_session.flush()
    return order


def request_reassign(
    *, db_session: Session, order_id: int, actor: Actor, reason: str
) -> ReassignRequest:
    """不得退单: the unit keeps the order and asks the center, with a reason."""
    order = get_order(db_session=db_session, order_id=order_id, actor=actor, for_update=True)
    if actor.role != Role.unit_handler or actor.unit_id != order.unit_id:
        raise Forbidden("只有主办单位可以申请改派")
    if order.state not in (State.dispatched, State.processing):
        raise Conflict(f"工单处于 {order.state} 状态, 不能申请改派")
    pending = db_session.scalar(
        select(ReassignRequest).where(
            ReassignRequest.order_id == order.id, ReassignRequest.status == "pending"
        )
    )
    if pending is not None:
        raise Conflict("已有待处理的改派申请")
    request = ReassignRequest(
        order_id=order.id, unit_id=order.unit_id, reason=reason, requested_by=actor.id
    )
    db_session.add(request)
    _record(db_session, order, actor, "request_reassign", reason)
    db_session.flush()
    return request


def decide_reassign(
    *,
    db_session: Session,
    ctx: Context,
    order_id: int,
    request_id: int,
    actor: Actor,
    approve: bool,
    version: int,
    unit_id: int | None,
    note: str,
) -> WorkOrder:
    request = db_session.get(ReassignRequest, request_id)
    if request is None or request.order_id != order_id:
        raise NotFound(f"改派申请不存在: {request_id}")
    if request.status != "pending":
        raise Conflict("改派申请已处理")
    if actor.role != Role.shift_lead:
        raise Forbidden("只有值班长可以决定改派")
    request.status = "approved" if approve else "denied"
    request.decided_by, request.decided_at = actor.id, utcnow()
    if approve:
        if unit_id == request.unit_id:
            raise Conflict("改派需要换一个单位")
        body = TransitionIn(action="reassign", version=version, unit_id=unit_id, note=note)
        return transition(db_session=db_session, ctx=ctx, order_id=order_id, actor=actor, body=body)
    order = _locked(db_session, order_id, actor, version)
    _record(db_session, order, actor, "deny_reassign", note or "驳回改派申请")
    db_session.flush()
    return order


def merge(
    *, db_session: Session, order_id: int, into_id: int, actor: Actor, version: int, note: str
) -> WorkOrder:
    """并案: fold a duplicate into another case. Both keep their whole history;
    the duplicate points at the case it joined."""
    if order_id == into_id:
        raise Conflict("不能与自身并案")
    # both rows locked in the order of their ids: A into B and B into A at
    # the same moment wait for each other instead of deadlocking
    locked = {oid: get_order(db_session=db_session, order_id=oid, actor=actor, for_update=True)
              for oid in sorted((order_id, into_id))}  # fmt: skip
    order, target = locked[order_id], locked[into_id]
    _same_version(order, version)
    if target.state in (State.merged, State.evaluated):
        raise Conflict(f"目标工单处于 {target.state} 状态, 不能并入")
    _apply(db_session, order, actor, "merge", note or f"并入 {target.number}")
    order.merged_into_id = target.id
    _resolve_supervision(db_session, order.id)
    _record(db_session, target, actor, "absorb", f"并入 {order.number}")
    db_session.flush()
    return order


def update(
    *, db_session: Session, ctx: Context, order_id: int, actor: Actor, body: OrderUpdate
) -> WorkOrder:
    """Reclassification at registration: only before dispatch, only by the center.
    A new type or urgency moves the deadline, counted from intake."""
    if actor.role not in (Role.agent, Role.shift_lead):
        raise Forbidden("只有中心可以修改工单内容")
    order = _locked(db_session, order_id, actor, body.version)
    if order.state not in (State.intake, State.case):
        raise Conflict(f"工单处于 {order.state} 状态, 派遣后不能修改内容")
    changes = body.model_dump(exclude_unset=True, exclude={"version", "caller"})
    if changes.get("subject_code") and not subject_exists(db_session, changes["subject_code"]):
        raise NotFound(f"没有这个诉求分类: {changes['subject_code']}")
    for key, value in changes.items():
        setattr(order, key, value)
    if body.caller is not None:
        changes["caller"] = True
        order.caller_phone, order.caller_key = body.caller.phone, phone_key(ctx, body.caller.phone)
        order.caller_name, order.address = body.caller.name, body.caller.address
        order.address_key = address_key(body.caller.address)
        order.latitude, order.longitude = body.caller.latitude, body.caller.longitude
    if "type" in changes or "urgency" in changes:
        order.due_at = due_at(ctx.policy, ctx.calendar, order.created_at, order.type, order.urgency)
    if not changes:
        raise Conflict("没有要修改的内容")
    _record(db_session, order, actor, "update", "修改: " + ", ".join(sorted(changes)))
    db_session.flush()
    return order
