from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from ticketing.auth.roles import READERS
from ticketing.auth.service import Actor, require
from ticketing.context import Ctx
from ticketing.database import DbSession
from ticketing.errors import Invalid
from ticketing.reports.calls import Rules, call_figures

router = APIRouter(prefix="/reports", tags=["reports 报表"])
Reader = Annotated[Actor, require(*READERS)]
MAX_DAYS = 400
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 1, 1)


def rules_of(ctx: Ctx) -> Rules:
    s = ctx.settings
    return Rules(target_s=s.answer_target_s, short_abandon_s=s.short_abandon_s,
                 wrapup_s=s.wrapup_s, timezone=s.report_timezone)  # fmt: skip


@router.get("/calls")
def calls(
    db_session: DbSession,
    actor: Reader,
    ctx: Ctx,
    start: Annotated[dt.date, Query(description="first day (the center's time zone)")],
    end: Annotated[dt.date, Query(description="day after the last")],
    group: Literal["hour", "day", "month"] = "day",
    queue: Annotated[str | None, Query(max_length=32)] = None,
    hotline: Annotated[str | None, Query(max_length=16)] = None,
) -> dict:
    """Calls per queue and hour, day or month, from Asterisk's queue_log: the
    15-second answer rate, 接通率, abandonment, speed of answer, handle time;
    each formula in `formulas`. An empty period gives zeros and no rates."""
    if end <= start or (end - start).days > MAX_DAYS:
        raise Invalid(f"期间不正确: 结束日期须晚于开始日期, 且不超过 {MAX_DAYS} 天")
    if start < EARLIEST or end > LATEST:
        raise Invalid(f"期间不正确: 须在 {EARLIEST} 与 {LATEST} 之间")
    rules = rules_of(ctx)
    zone = ZoneInfo(rules.timezone)
    begin = dt.datetime.combine(start, dt.time(), zone)
    finish = dt.datetime.combine(end, dt.time(), zone)
    return call_figures(db_session, begin, finish, rules, group, queue, hotline)
