"""A report's comparison with the period before and its written part: the
same figures and sentences on the page (a 专报's analysis), in the XLSX and
in the PDF. The period before is as long as the period and ends where it
starts (a day against the day before, a month of 30 days against the 30 days
before it)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.orders.models import WorkOrder
from ticketing.orgs.models import Subject

# the figures compared, with how a change is said: in calls, points or seconds
COMPARED = [
    ("offered", "来电量", "count"), ("answered", "接通量", "count"),
    ("rate_in_target", "15秒接通率", "rate"), ("connect_rate", "接通率", "rate"),
    ("abandon_rate", "放弃率", "rate"), ("asa_s", "平均应答(秒)", "seconds"),
    ("aht_s", "平均处理(秒)", "seconds"),
]  # fmt: skip
TOP_SUBJECTS = 5


def before(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The period of the same length that ends where [start, end) starts."""
    return start - (end - start), start


def kind_of(start: dt.date, end: dt.date) -> str:
    """日报, 周报 (Monday to Sunday), 月报 (a calendar month) or 专报 (any other period)."""
    days = (end - start).days
    if days == 1:
        return "日报"
    if days == 7 and start.weekday() == 0:
        return "周报"
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if start.day == 1 and end == following:
        return "月报"
    return "专报"


def comparison(now: dict, was: dict) -> list[dict]:
    """Each compared figure now and in the period before, and the change
    (rates in percentage points); no change where either side is empty."""
    rows = []
    for key, label, unit in COMPARED:
        a, b = now.get(key), was.get(key)
        change = (
            None if a is None or b is None else round((a - b) * (100 if unit == "rate" else 1), 1)
        )
        rows.append(
            {"key": key, "label": label, "unit": unit, "now": a, "before": b, "change": change}
        )
    return rows


def subjects(db_session: Session, start: dt.datetime, end: dt.datetime,
             limit: int = TOP_SUBJECTS) -> tuple[int, list[tuple[str, int]]]:  # fmt: skip
    """The work orders created in the period and the most frequent subjects."""
    counted = Counter(dict(db_session.execute(
        select(WorkOrder.subject_code, func.count()).where(
            WorkOrder.created_at >= start, WorkOrder.created_at < end,
            WorkOrder.state != "merged").group_by(WorkOrder.subject_code)).all()))  # fmt: skip
    names = dict(db_session.execute(select(Subject.code, Subject.name)).all())
    top = [
        (names.get(code, code) if code else "未分类", n) for code, n in counted.most_common(limit)
    ]
    return sum(counted.values()), top


def _said(row: dict) -> str:
    """ "15秒接通率 86.9%, 比上期 +2.1 个百分点"."""
    unit, value, change = row["unit"], row["now"], row["change"]
    label = row["label"].removesuffix("(秒)")  # the sentence says "秒" after the figure
    if value is None:
        return f"{label} -"
    shown = {"rate": f"{value * 100:.1f}%", "seconds": f"{value:g} 秒"}.get(unit, f"{value} 通")
    if change is None:
        return f"{label} {shown}"
    if change == 0:
        return f"{label} {shown}, 与上期持平"
    step = {"rate": " 个百分点", "seconds": " 秒", "count": " 通"}[unit]
    word = "上升" if change > 0 else "下降"
    share = ""
    if unit == "count" and row["before"]:
        share = f" ({abs(change) / row['before'] * 100:.1f}%)"
    return f"{label} {shown}, 比上期{word} {abs(change):g}{step}{share}"


def written(name: str, first: dt.date, last: dt.date, compared: list[dict],
            orders: tuple[int, list[tuple[str, int]]], rates: dict | None,
            target_s: float, inbound: dict | None = None) -> list[str]:  # fmt: skip
    """The report's sentences: the calls against the period before, the
    orders and their main subjects, the 三率; only what the figures hold."""
    by_key = {row["key"]: row for row in compared}
    lines = [f"{name} ({first} 至 {last})。"]
    if not by_key["offered"]["now"]:
        lines.append("本期无来电记录。")
    else:
        said: Callable[[str], str] = lambda key: _said(by_key[key])  # noqa: E731
        calls = ("offered", "answered", "connect_rate")
        lines.append("来电: " + "; ".join(said(k) for k in calls) + "。")
        rate = by_key["rate_in_target"]
        goal = "达到" if (rate["now"] or 0) >= 0.8 else "未达到"
        lines.append(f"应答: {said('rate_in_target')} ({goal} {target_s:g} 秒内接通 80% 的目标); "
                     f"{said('asa_s')}; {said('abandon_rate')}。")  # fmt: skip
    if inbound and inbound["inbound_calls"]:
        lines.append(f"交换机共收到呼入 {inbound['inbound_calls']} 通 (话单), 其中一键呼叫 "
                     f"{inbound['inbound_sos']} 通, 应答前挂断 {inbound['inbound_unanswered']} 通, "
                     f"呼入非热线号码 {inbound['inbound_other']} 通。")  # fmt: skip
    total, top = orders
    if total:
        shares = "、".join(f"{subject} {n} 件 ({n / total * 100:.1f}%)" for subject, n in top)
        lines.append(f"工单: 共受理 {total} 件, 主要诉求为 {shares}。")
    else:
        lines.append("工单: 本期无新受理工单。")
    if rates:
        parts = [f"{label} {rates[key] * 100:.1f}%" if rates.get(key) is not None else f"{label} -"
                 for key, label in (("response_rate", "响应率"), ("closure_rate", "办结率"),
                                    ("satisfaction_rate", "满意率"))]  # fmt: skip
        lines.append("三率: " + ", ".join(parts) + "。")
    return lines
