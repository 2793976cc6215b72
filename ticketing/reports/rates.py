"""三率 per unit, subject or area (areas.py), and the missed-call callbacks, from the work-order
service's own records (the order event log, the callback tasks, the missed
calls). Every definition is stated in FORMULAS and answered with the figures.

- 响应率: dispatches (派遣, 改派) in the period whose unit accepted (签收)
  within RESPONSE_H hours ÷ dispatches in the period.
- 办结率: orders due in the period (their time limit ends in it) closed by
  that limit ÷ orders due in the period (merged orders are not counted).
- 满意率: callbacks (回访) done in the period with the verdict 满意 or 基本满意
  ÷ callbacks done in the period with a verdict.
- Missed calls: the share called back (done) of those missed in the period,
  and the time from the miss to the callback (median and mean, minutes)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.callbacks.models import CallbackTask
from ticketing.missed.models import MissedCall
from ticketing.orders.models import OrderEvent, WorkOrder
from ticketing.orgs.models import Unit
from ticketing.reports.areas import FORMULA as AREA_FORMULA
from ticketing.reports.areas import Areas
from ticketing.reports.calls import ratio

FORMULAS = {
    "response_rate": "响应率 = 时限内 ({hours} 小时) 签收的派遣数 ÷ 期间内的派遣数 (含改派)",
    "closure_rate": "办结率 = 办理时限内结案的工单数 ÷ 办理时限落在期间内的工单数 (并案除外)",
    "satisfaction_rate": "满意率 = (满意 + 基本满意) ÷ 期间内有评价的回访数",
    "called_back_share": "未接来电回拨率 = 已回拨的未接来电 ÷ 期间内的未接来电",
    "callback_minutes": "回拨用时 = 回拨完成时间 − 未接来电时间 (分钟, 中位数与平均数)",
    "area": AREA_FORMULA,
}


@dataclass
class Rates:
    dispatched: int = 0
    accepted_in_time: int = 0
    due: int = 0
    closed_in_time: int = 0
    evaluated: int = 0
    satisfied: int = 0  # 满意 + 基本满意

    def as_dict(self) -> dict:
        return {**self.__dict__,
                "response_rate": ratio(self.accepted_in_time, self.dispatched),
                "closure_rate": ratio(self.closed_in_time, self.due),
                "satisfaction_rate": ratio(self.satisfied, self.evaluated)}  # fmt: skip


def three_rates(db_session: Session, start: dt.datetime, end: dt.datetime, by: str,
                response_h: float, unit_id: int | None = None) -> dict:  # fmt: skip
    """Per unit (every unit, also one with no orders: zeros, no rates), per
    subject or per area; `unit_id` keeps one unit's rows only (a unit handler's)."""
    rows: dict[str, Rates] = defaultdict(Rates)
    names: dict[int, str] = {u.id: u.name for u in db_session.scalars(select(Unit))}
    areas = Areas(db_session) if by == "area" else None
    events = db_session.execute(
        select(OrderEvent.order_id, OrderEvent.action, OrderEvent.unit_id, OrderEvent.at)
        .where(OrderEvent.action.in_(("dispatch", "reassign", "accept")),
               OrderEvent.at >= start, OrderEvent.at < end + dt.timedelta(hours=response_h))
        .order_by(OrderEvent.at, OrderEvent.id)).all()  # fmt: skip
    due = db_session.execute(
        select(WorkOrder.id, WorkOrder.unit_id, WorkOrder.due_at, WorkOrder.closed_at)
        .where(WorkOrder.due_at >= start, WorkOrder.due_at < end,
               WorkOrder.state != "merged")).all()  # fmt: skip
    callbacks = db_session.execute(
        select(CallbackTask.order_id, CallbackTask.unit_id, CallbackTask.verdict)
        .where(CallbackTask.done_at >= start, CallbackTask.done_at < end,
               CallbackTask.verdict.is_not(None))).all()  # fmt: skip
    # the subject and address of the orders the period touches, not of all
    touched = {r.order_id for r in events} | {r.id for r in due} | {r.order_id for r in callbacks}
    facts = _facts(db_session, touched, by)

    def key(order_id: int, unit: int | None) -> str | None:
        if unit_id is not None and unit != unit_id:
            return None
        if by == "unit":
            return names.get(unit, "未派遣") if unit else "未派遣"
        if areas is not None:
            return areas.of(facts.get(order_id), unit)
        return facts.get(order_id) or "未分类"

    if by == "unit":
        for uid, name in names.items():
            if unit_id is None or uid == unit_id:
                rows[name]  # every unit has a row
    waiting: dict[int, tuple[int | None, dt.datetime]] = {}  # order -> its last dispatch
    limit = dt.timedelta(hours=response_h)
    for order_id, action, unit, at in events:
        if action in ("dispatch", "reassign"):
            if at < end:
                waiting[order_id] = (unit, at)
                if (k := key(order_id, unit)) is not None:
                    rows[k].dispatched += 1
        elif order_id in waiting:  # the accept answers the order's last dispatch
            to, sent = waiting.pop(order_id)
            if at - sent <= limit and (k := key(order_id, to)) is not None:
                rows[k].accepted_in_time += 1
    for order_id, unit, due_at, closed_at in due:
        if (k := key(order_id, unit)) is not None:
            rows[k].due += 1
            rows[k].closed_in_time += bool(closed_at and due_at and closed_at <= due_at)
    for order_id, unit, verdict in callbacks:
        if (k := key(order_id, unit)) is not None:
            rows[k].evaluated += 1
            rows[k].satisfied += verdict in ("satisfied", "basic")
    total = Rates()
    for figures in rows.values():
        for name in total.__dict__:
            setattr(total, name, getattr(total, name) + getattr(figures, name))
    return {"by": by, "rows": [{"key": k, **v.as_dict()} for k, v in sorted(rows.items())],
            "total": total.as_dict()}  # fmt: skip


def _facts(db_session: Session, order_ids: set[int], by: str) -> dict[int, str | None]:
    """Order id -> its subject (or its address, by area), 1,000 ids a query."""
    if by == "unit":
        return {}
    column = WorkOrder.address if by == "area" else WorkOrder.subject_code
    ids = sorted(order_ids)
    found: dict[int, str | None] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = select(WorkOrder.id, column).where(WorkOrder.id.in_(chunk))
        found.update(db_session.execute(query).all())
    return found


def missed_callbacks(db_session: Session, start: dt.datetime, end: dt.datetime) -> dict:
    missed = db_session.execute(select(MissedCall.status, MissedCall.created_at,
                                       MissedCall.done_at).where(
        MissedCall.created_at >= start, MissedCall.created_at < end)).all()  # fmt: skip
    minutes = [(done - created).total_seconds() / 60 for status, created, done in missed
               if status == "done" and done is not None]  # fmt: skip
    return {
        "missed": len(missed), "called_back": len(minutes),
        "called_back_share": round(len(minutes) / len(missed), 4) if missed else None,
        "callback_minutes_median": round(statistics.median(minutes), 1) if minutes else None,
        "callback_minutes_mean": round(statistics.fmean(minutes), 1) if minutes else None,
    }  # fmt: skip


def formulas(response_h: float) -> dict[str, str]:
    return {k: v.format(hours=f"{response_h:g}") for k, v in FORMULAS.items()}


def sos_figures(db_session: Session, start: dt.datetime, end: dt.datetime,
                center: str = "120") -> dict:  # fmt: skip
    """SOS calls of the period, from their timelines: how many, how many a
    seat answered, seconds to the answer and to the emergency center (120)
    joining the call (median and the longest)."""
    from ticketing.elders.models import SosCall, SosEvent

    calls = db_session.execute(select(SosCall.id, SosCall.created_at).where(
        SosCall.created_at >= start, SosCall.created_at < end)).all()  # fmt: skip
    ids = [i for i, _ in calls]
    steps: dict[int, dict[str, dt.datetime]] = defaultdict(dict)
    for chunk in range(0, len(ids), 1000):
        for call_id, kind, at, detail in db_session.execute(
            select(SosEvent.sos_call_id, SosEvent.kind, SosEvent.at, SosEvent.detail)
            .where(SosEvent.sos_call_id.in_(ids[chunk : chunk + 1000]))
            .order_by(SosEvent.at)):  # fmt: skip
            name = "center" if kind == "joined" and detail.startswith(f"{center} ") else kind
            steps[call_id].setdefault(name, at)
    to_answer, to_center = [], []
    for call_id, created in calls:
        began = steps[call_id].get("start", created)
        if "answered" in steps[call_id]:
            to_answer.append((steps[call_id]["answered"] - began).total_seconds())
        if "center" in steps[call_id]:
            to_center.append((steps[call_id]["center"] - began).total_seconds())

    def spread(values: list[float]) -> dict:
        return {"median_s": round(statistics.median(values), 1) if values else None,
                "longest_s": round(max(values), 1) if values else None}  # fmt: skip

    return {"calls": len(calls), "answered": len(to_answer), "to_answer": spread(to_answer),
            "center_joined": len(to_center), "to_center": spread(to_center)}  # fmt: skip
