"""The call figures, from the queue stays ingested from Asterisk's queue_log.
Every formula is stated once here (FORMULAS), shown in the README, in the
API's answer and as a tooltip on every figure.

A stay that ended by a key (the caller pressed one while queued and rejoined)
is not a call of its own: the stay it rejoined is. Times are bucketed in the
center's time zone."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, case, cast, func, select
from sqlalchemy.orm import Session

from ticketing.reports.models import QueueCall

FORMULAS = {
    "offered": "来电量 = 进入队列且以接通、放弃或超时结束的来电 (按键重新排队的只算一次)",
    "answered": "接通量 = 座席接起的来电",
    "answered_in_target": "目标内接通量 = 等待不超过 {target} 秒即被接起的来电",
    "short_abandoned": "短时放弃量 = 等待不足 {short} 秒即挂断的来电 (不计入分母)",
    "rate_in_target": "{target} 秒接通率 = 目标内接通量 ÷ (来电量 − 短时放弃量)",
    "connect_rate": "接通率 = 接通量 ÷ (来电量 − 短时放弃量)",
    "abandoned": "放弃量 = 排队中挂断的来电 (含短时放弃)",
    "abandon_rate": "放弃率 = 放弃量 ÷ 来电量",
    "timeout": "超时量 = 排队超时转走的来电",
    "asa_s": "平均应答时长 = 接通来电的等待秒数之和 ÷ 接通量",
    "aht_s": "平均处理时长 = (通话秒数 + 话后处理 {wrapup} 秒) 之和 ÷ 已结束的接通来电数",
    "longest_wait_s": "最长等待 = 所有来电中最长的等待秒数",
    "menu_hangups": "语音导航挂断量 = 未在队列中 (身份识别或按键查询时) 挂断的来电, 不计入来电量",
}
ENDED = ("answered", "abandoned", "timeout")


def ratio(part: float, whole: float) -> float | None:
    """A rate to four places; none for an empty period (never 0/0)."""
    return round(part / whole, 4) if whole else None


@dataclass
class Figures:
    offered: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timeout: int = 0
    waits: list[float] = field(default_factory=list)  # answered calls' waits
    handled: list[float] = field(default_factory=list)  # talk + wrap-up of ended answered calls
    longest_wait_s: float = 0.0
    menu_hangups: int = 0

    def add(self, outcome: str, wait_s: float | None, talk_s: float | None, target_s: float,
            short_s: float, wrapup_s: float) -> None:  # fmt: skip
        if outcome == "menu":
            self.menu_hangups += 1
        if outcome not in ENDED:
            return
        self.offered += 1
        wait = wait_s or 0.0
        self.longest_wait_s = max(self.longest_wait_s, wait)
        if outcome == "answered":
            self.answered += 1
            self.answered_in_target += wait <= target_s
            self.waits.append(wait)
            if talk_s is not None:
                self.handled.append(talk_s + wrapup_s)
        elif outcome == "abandoned":
            self.abandoned += 1
            self.short_abandoned += wait < short_s
        else:
            self.timeout += 1

    def merge(self, other: Figures) -> None:
        for name in ("offered", "answered", "answered_in_target", "abandoned", "short_abandoned",
                     "timeout", "menu_hangups"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.waits += other.waits
        self.handled += other.handled
        self.longest_wait_s = max(self.longest_wait_s, other.longest_wait_s)

    def as_dict(self) -> dict:
        counted = self.offered - self.short_abandoned

        def mean(values: list[float]) -> float | None:
            return round(sum(values) / len(values), 1) if values else None

        return {
            "offered": self.offered, "answered": self.answered,
            "answered_in_target": self.answered_in_target, "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned, "timeout": self.timeout,
            "rate_in_target": ratio(self.answered_in_target, counted),
            "connect_rate": ratio(self.answered, counted),
            "abandon_rate": ratio(self.abandoned, self.offered),
            "asa_s": mean(self.waits), "aht_s": mean(self.handled),
            "longest_wait_s": self.longest_wait_s, "menu_hangups": self.menu_hangups,
        }  # fmt: skip


@dataclass(frozen=True)
class Rules:
    target_s: float = 15.0
    short_abandon_s: float = 5.0
    wrapup_s: float = 10.0
    timezone: str = "Asia/Shanghai"

    def formulas(self) -> dict[str, str]:
        values = {"target": f"{self.target_s:g}", "short": f"{self.short_abandon_s:g}",
                  "wrapup": f"{self.wrapup_s:g}"}  # fmt: skip
        return {k: v.format(**values) for k, v in FORMULAS.items()}


def bucket_of(at: dt.datetime, group: str, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    if group == "hour":
        return local.strftime("%Y-%m-%d %H:00")
    if group == "month":
        return local.strftime("%Y-%m")
    return local.strftime("%Y-%m-%d")


def call_figures(db_session: Session, start: dt.datetime, end: dt.datetime, rules: Rules,
                 group: str = "day", queue: str | None = None,
                 hotline: str | None = None) -> dict:  # fmt: skip
    """Figures per bucket and queue, and the totals of the period [start, end)."""
    # plain rows, not ORM objects: a month of a busy center is 75,000 of them
    query = select(QueueCall.entered_at, QueueCall.queue, QueueCall.outcome, QueueCall.wait_s,
                   QueueCall.talk_s).where(QueueCall.entered_at >= start,
                                           QueueCall.entered_at < end)  # fmt: skip
    if queue:
        query = query.where(QueueCall.queue == queue)
    if hotline:
        query = query.where(QueueCall.hotline == hotline)
    zone = ZoneInfo(rules.timezone)
    rows: dict[tuple[str, str], Figures] = defaultdict(Figures)
    total = Figures()
    buckets: dict[dt.datetime, str] = {}  # many calls share an hour: bucket it once
    for entered_at, queue_name, outcome, wait_s, talk_s in db_session.execute(query):
        hour = entered_at.replace(minute=0, second=0, microsecond=0)
        if hour not in buckets:
            buckets[hour] = bucket_of(hour, group, zone)
        rows[(buckets[hour], queue_name)].add(outcome, wait_s, talk_s, rules.target_s,
                                              rules.short_abandon_s, rules.wrapup_s)  # fmt: skip
    for figures in rows.values():  # the period's totals: every bucket's, added up
        total.merge(figures)
    return {
        "start": start.isoformat(), "end": end.isoformat(), "group": group,
        "formulas": rules.formulas(),
        "rows": [{"bucket": b, "queue": q, **f.as_dict()} for (b, q), f in sorted(rows.items())
                 if f.offered or f.menu_hangups],
        "total": total.as_dict(),
    }  # fmt: skip


def call_totals(db_session: Session, start: dt.datetime, end: dt.datetime, rules: Rules,
                queue: str | None = None, hotline: str | None = None) -> dict:  # fmt: skip
    """The totals of call_figures for [start, end), summed by the database
    in one query: the period before a report's, compared with it."""
    c = QueueCall
    wait = func.coalesce(c.wait_s, 0.0)
    answered = c.outcome == "answered"
    handled = answered & c.talk_s.is_not(None)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(
        count(c.outcome.in_(ENDED)), count(answered), count(answered & (wait <= rules.target_s)),
        count(c.outcome == "abandoned"),
        count((c.outcome == "abandoned") & (wait < rules.short_abandon_s)),
        count(c.outcome == "timeout"), count(c.outcome == "menu"),
        func.sum(case((answered, wait))), func.sum(case((handled, c.talk_s + rules.wrapup_s))),
        count(handled), func.max(case((c.outcome.in_(ENDED), cast(wait, Float)))),
    ).where(c.entered_at >= start, c.entered_at < end)  # fmt: skip
    if queue:
        query = query.where(c.queue == queue)
    if hotline:
        query = query.where(c.hotline == hotline)
    row = db_session.execute(query).one()
    offered, n_answered, in_target, abandoned, short, timeout, menu = (int(v) for v in row[:7])
    waits, handle, n_handled, longest = row[7:]
    figures = Figures(offered=offered, answered=n_answered, answered_in_target=in_target,
                      abandoned=abandoned, short_abandoned=short, timeout=timeout,
                      longest_wait_s=float(longest or 0.0), menu_hangups=menu)  # fmt: skip
    totals = figures.as_dict()

    def mean(total: object, n: int) -> float | None:
        return round(float(total) / n, 1) if n else None  # type: ignore[arg-type]

    totals["asa_s"], totals["aht_s"] = mean(waits, n_answered), mean(handle, n_handled)
    return totals
