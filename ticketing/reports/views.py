from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from ticketing.auth.roles import READERS, Role
from ticketing.auth.service import Actor, require
from ticketing.context import Ctx
from ticketing.database import DbSession
from ticketing.errors import Invalid
from ticketing.reports import cdr, exports, summary
from ticketing.reports.calls import Rules, call_figures, call_totals
from ticketing.reports.rates import formulas, missed_callbacks, sos_figures, three_rates
from ticketing.reports.seats import seat_figures
from ticketing.reports.staffing import half_hours
from ticketing.reports.topics import hot_topics
from ticketing.types import Day
from yht.shifts import ShiftPlan

router = APIRouter(prefix="/reports", tags=["reports 报表"])
Reader = Annotated[Actor, require(*READERS)]
# the 三率 also for unit handlers: their own unit's
OrderReader = Annotated[Actor, require(*READERS, Role.unit_handler)]
MAX_DAYS = 400
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 1, 1)


def rules_of(ctx: Ctx) -> Rules:
    s = ctx.settings
    return Rules(target_s=s.answer_target_s, short_abandon_s=s.short_abandon_s,
                 wrapup_s=s.wrapup_s, timezone=s.report_timezone)  # fmt: skip


Start = Annotated[Day, Query(description="first day (the center's time zone)")]
End = Annotated[Day, Query(description="day after the last")]
Group = Literal["hour", "day", "month"]
QueueName = Annotated[str | None, Query(max_length=32)]
Hotline = Annotated[str | None, Query(max_length=16)]


@router.get("/calls")
def calls(db_session: DbSession, actor: Reader, ctx: Ctx, start: Start, end: End,
          group: Group = "day", queue: QueueName = None,
          hotline: Hotline = None) -> dict:  # fmt: skip
    """Calls per queue and hour, day or month, from Asterisk's queue_log: the
    15-second answer rate, 接通率, abandonment, speed of answer, handle time;
    each formula in `formulas`. An empty period gives zeros and no rates."""
    report = _report(db_session, ctx, start, end, group, queue, hotline)
    report["sos"] = sos_figures(db_session, *_period(ctx, start, end))
    return report


@router.get("/calls.xlsx", response_class=Response)
def calls_xlsx(db_session: DbSession, actor: Reader, ctx: Ctx, start: Start, end: End,
               group: Group = "day", queue: QueueName = None,
               hotline: Hotline = None) -> Response:  # fmt: skip
    """The same report as an Excel workbook (figures, a chart, the formulas)."""
    report = _report(db_session, ctx, start, end, group, queue, hotline)
    return _file(exports.xlsx(report), XLSX, f"calls-{start}-{end}.xlsx")


@router.get("/calls.pdf", response_class=Response)
def calls_pdf(db_session: DbSession, actor: Reader, ctx: Ctx, start: Start, end: End,
              group: Group = "day", queue: QueueName = None,
              hotline: Hotline = None) -> Response:  # fmt: skip
    """The same report as a PDF (a chart, the figures, the formulas)."""
    report = _report(db_session, ctx, start, end, group, queue, hotline)
    return _file(exports.pdf(report), "application/pdf", f"calls-{start}-{end}.pdf")


@router.get("/orders")
def orders(db_session: DbSession, actor: OrderReader, ctx: Ctx, start: Start, end: End,
           by: Literal["unit", "subject", "area"] = "unit") -> dict:  # fmt: skip
    """三率 (响应率, 办结率, 满意率) per unit, subject or area (街道), and the missed-call
    callbacks, for the period; every definition in `formulas`. A unit handler
    gets their own unit's row only."""
    begin, finish = _period(ctx, start, end)
    own = actor.unit_id if actor.role == Role.unit_handler else None
    return _orders(db_session, ctx, begin, finish, by, own)


def _orders(db_session: DbSession, ctx: Ctx, begin: dt.datetime, finish: dt.datetime, by: str,
            own: int | None = None) -> dict:  # fmt: skip
    hours = ctx.settings.response_limit_h
    body = {"start": begin.isoformat(), "end": finish.isoformat(), "formulas": formulas(hours),
            **three_rates(db_session, begin, finish, by, hours, unit_id=own)}  # fmt: skip
    if own is None:
        body["missed_calls"] = missed_callbacks(db_session, begin, finish)
    return body


@router.get("/seats")
def seats(db_session: DbSession, actor: Reader, ctx: Ctx, start: Start, end: End) -> dict:
    """Per seat: calls answered, talk and handle time, logged-in and paused
    time, and the occupancy (handle time over the time it was available)."""
    begin, finish = _period(ctx, start, end)
    return {"start": begin.isoformat(), "end": finish.isoformat(),
            **seat_figures(db_session, begin, finish, ctx.settings.wrapup_s)}  # fmt: skip


@router.get("/staffing")
def staffing(db_session: DbSession, actor: Reader, ctx: Ctx, day: Start) -> dict:
    """Per half hour of the day: calls offered, handle time, the seats Erlang C
    needs for the service-level goal and the seats the shift plan opens;
    `short` lists the half hours where the plan has fewer."""
    if not EARLIEST <= day < LATEST:
        raise Invalid(f"日期须在 {EARLIEST} 与 {LATEST} 之间")
    s = ctx.settings
    return half_hours(db_session, day, ShiftPlan(s.shift_plan_file), s.answer_target_s,
                      s.service_level_goal, s.wrapup_s)  # fmt: skip


@router.get("/topics")
def topics(db_session: DbSession, actor: Reader, ctx: Ctx, day: Start) -> dict:
    """Hot topics: the day's work orders per subject against the same weekday
    of the four weeks before; the subjects that surge, with their words."""
    if not EARLIEST <= day < LATEST:
        raise Invalid(f"日期须在 {EARLIEST} 与 {LATEST} 之间")
    return hot_topics(db_session, day, ctx.settings.report_timezone)


def _file(body: bytes, kind: str, name: str) -> Response:
    return Response(body, media_type=kind,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _report(db_session: DbSession, ctx: Ctx, start: dt.date, end: dt.date, group: str,
            queue: str | None, hotline: str | None) -> dict:  # fmt: skip
    """The call figures of the period, compared with the period before (its
    totals), and the report's written part (summary.py)."""
    begin, finish = _period(ctx, start, end)
    rules = rules_of(ctx)
    report = call_figures(db_session, begin, finish, rules, group, queue, hotline)
    # every call the switch took, also one that never reached a queue (CDR)
    report["inbound"] = cdr.inbound_figures(db_session, begin, finish, hotline)
    report["formulas"].update(cdr.FORMULAS)
    was = call_totals(db_session, *summary.before(begin, finish), rules, queue, hotline)
    report["kind"] = summary.kind_of(start, end)
    report["before"] = was
    report["comparison"] = summary.comparison(report["total"], was)
    # the 三率 per unit as GET /reports/orders answers them: the written part
    # reads their total, the page shows them without asking again
    report["orders"] = _orders(db_session, ctx, begin, finish, "unit")
    report["summary"] = summary.written(
        report["kind"], start, end - dt.timedelta(days=1), report["comparison"],
        summary.subjects(db_session, begin, finish), report["orders"]["total"], rules.target_s,
        report["inbound"])  # fmt: skip
    if queue or hotline:
        report["summary"].append("注: 来电按所选热线、队列统计; 工单与三率为全中心。")
    return report


def _period(ctx: Ctx, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The days [start, end) in the center's time zone, checked."""
    if end <= start or (end - start).days > MAX_DAYS:
        raise Invalid(f"期间不正确: 结束日期须晚于开始日期, 且不超过 {MAX_DAYS} 天")
    if start < EARLIEST or end > LATEST:
        raise Invalid(f"期间不正确: 须在 {EARLIEST} 与 {LATEST} 之间")
    zone = ZoneInfo(ctx.settings.report_timezone)
    return dt.datetime.combine(start, dt.time(), zone), dt.datetime.combine(end, dt.time(), zone)
