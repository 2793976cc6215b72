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
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, null, or_, select
from sqlalchemy.orm import Session

from ticketing.callbacks.models import CallbackTask
from ticketing.missed.models import MissedCall
from ticketing.orders.models import OrderEvent, WorkOrder
from ticketing.orgs.models import Subject, Unit
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


DISPATCHES = ("dispatch", "reassign")
SATISFIED = ("satisfied", "basic")


def _seconds(later: ColumnElement, earlier: ColumnElement, dialect: str) -> ColumnElement:
    """Seconds from `earlier` to `later`, on PostgreSQL and on SQLite."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def three_rates(db_session: Session, start: dt.datetime, end: dt.datetime, by: str,
                response_h: float, unit_id: int | None = None) -> dict:  # fmt: skip
    """Per unit (every unit, also one with no orders: zeros, no rates), per
    subject or per area; `unit_id` keeps one unit's rows only (a unit handler's).
    Counted by the database, grouped by unit and the order's subject or
    address: a month of a busy center is hundreds of thousands of events."""
    rows: dict[str, Rates] = defaultdict(Rates)
    names: dict[int, str] = {u.id: u.name for u in db_session.scalars(select(Unit))}
    areas = Areas(db_session) if by == "area" else None
    subject_names: dict[str, str] = {}
    if by == "subject":
        subject_names = dict(db_session.execute(select(Subject.code, Subject.name)).all())
    fact = {"area": WorkOrder.address, "subject": WorkOrder.subject_code}.get(by)

    def key(unit: int | None, told: str | None) -> str | None:
        if unit_id is not None and unit != unit_id:
            return None
        if by == "unit":
            return names.get(unit, "未派遣") if unit else "未派遣"
        if areas is not None:
            return areas.of(told, unit)
        return subject_names.get(told, told) if told else "未分类"

    def grouped(query: Select, unit: Any, order_id: Any) -> Select:
        """`query` per unit (and per the order's subject or address)."""
        if fact is None:
            return query.add_columns(null()).group_by(unit)
        return (query.add_columns(fact).join(WorkOrder, WorkOrder.id == order_id)
                .group_by(unit, fact))  # fmt: skip

    if by == "unit":
        for uid, name in names.items():
            if unit_id is None or uid == unit_id:
                rows[name]  # every unit has a row
    # each accept answers the order's dispatch just before it (LAG): the
    # dispatches of the period, the accepts up to the limit after its end
    e = OrderEvent

    def before(column: Any) -> Any:
        return func.lag(column).over(partition_by=e.order_id, order_by=(e.at, e.id))

    events = select(
        e.order_id, e.action, e.unit_id, e.at, before(e.action).label("sent_action"),
        before(e.at).label("sent_at"), before(e.unit_id).label("sent_unit"),
    ).where(or_(and_(e.action.in_(DISPATCHES), e.at >= start, e.at < end),
                and_(e.action == "accept", e.at >= start,
                     e.at < end + dt.timedelta(hours=response_h)))).subquery()  # fmt: skip
    dialect = db_session.get_bind().dialect.name
    waited = _seconds(events.c.at, events.c.sent_at, dialect)
    sent = grouped(select(events.c.unit_id, func.count()).where(
        events.c.action.in_(DISPATCHES)), events.c.unit_id, events.c.order_id)  # fmt: skip
    for unit, n, told in db_session.execute(sent):
        if (k := key(unit, told)) is not None:
            rows[k].dispatched += n
    accepted = grouped(select(events.c.sent_unit, func.count()).where(
        events.c.action == "accept", events.c.sent_action.in_(DISPATCHES),
        waited <= response_h * 3600), events.c.sent_unit, events.c.order_id)  # fmt: skip
    for unit, n, told in db_session.execute(accepted):
        if (k := key(unit, told)) is not None:
            rows[k].accepted_in_time += n
    w = WorkOrder
    in_time = func.sum(case((w.closed_at <= w.due_at, 1), else_=0))
    due = select(w.unit_id, func.count(), in_time).where(
        w.due_at >= start, w.due_at < end, w.state != "merged").group_by(w.unit_id)  # fmt: skip
    due = due.add_columns(fact).group_by(fact) if fact is not None else due.add_columns(null())
    for unit, n, closed, told in db_session.execute(due):
        if (k := key(unit, told)) is not None:
            rows[k].due += n
            rows[k].closed_in_time += int(closed or 0)
    c = CallbackTask
    pleased = func.sum(case((c.verdict.in_(SATISFIED), 1), else_=0))
    judged = grouped(select(c.unit_id, func.count(), pleased).where(
        c.done_at >= start, c.done_at < end, c.verdict.is_not(None)),
        c.unit_id, c.order_id)  # fmt: skip
    for unit, n, satisfied, told in db_session.execute(judged):
        if (k := key(unit, told)) is not None:
            rows[k].evaluated += n
            rows[k].satisfied += int(satisfied or 0)
    total = Rates()
    for figures in rows.values():
        for name in total.__dict__:
            setattr(total, name, getattr(total, name) + getattr(figures, name))
    return {"by": by, "rows": [{"key": k, **v.as_dict()} for k, v in sorted(rows.items())],
            "total": total.as_dict()}  # fmt: skip


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
