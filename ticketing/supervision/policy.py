"""The deadline policy (data/policy.yaml) and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from pydantic import BaseModel, Field


class Limit(BaseModel):
    hours: float = 0
    working_days: int = 0
    same_day: bool = False


class Rung(BaseModel):
    level: int = Field(ge=1)
    name: str
    overdue: Limit


class SupervisionPolicy(BaseModel):
    warn_fraction: float = Field(gt=0, lt=1)
    ladder: list[Rung]
    reopened_times_for_joint: int = 2


class RelatedPolicy(BaseModel):
    window_days: int = 30
    subject_window_days: int = 3
    max_links_per_reason: int = 10


class CalendarOverrides(BaseModel):
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []


class Policy(BaseModel):
    timezone: str
    calendar: CalendarOverrides
    time_limits: dict[str, Limit]
    urgency_limits: dict[str, Limit] = {}
    supervision: SupervisionPolicy
    related: RelatedPolicy

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def limit_for(self, order_type: str, urgency: str) -> Limit:
        return self.urgency_limits.get(urgency) or self.time_limits[order_type]


@lru_cache
def load_policy(path: Path) -> Policy:
    return Policy.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class WorkingCalendar:
    """Working days: the policy's overrides first, then China's official
    calendar (holidays and make-up days), then plain weekends."""

    def __init__(self, policy: Policy) -> None:
        self.tz = policy.tz
        self.holidays = set(policy.calendar.holidays)
        self.workdays = set(policy.calendar.workdays)
        # day -> working? (every create counts days forward: bench (p)); a few
        # years of days at most, emptied if it ever grows past that
        self._known: dict[dt.date, bool] = {}

    def is_working_day(self, day: dt.date) -> bool:
        known = self._known.get(day)
        if known is None:
            if len(self._known) > 4096:
                self._known.clear()
            known = self._known[day] = self._look_up(day)
        return known

    def _look_up(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:  # a year the package has no data for
            return day.weekday() < 5

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """`start` moved forward by `days` working days, keeping the clock time.
        A start on a day off counts from the next working day's first minute."""
        local = start.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            while not self.is_working_day(local.date()):
                local = dt.datetime.combine(
                    local.date() + dt.timedelta(days=1), dt.time(), tzinfo=self.tz
                )
        day = local.date()
        for _ in range(days):
            day += dt.timedelta(days=1)
            while not self.is_working_day(day):
                day += dt.timedelta(days=1)
        return dt.datetime.combine(day, local.timetz()).astimezone(dt.UTC)

    def end_of_day(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(self.tz)
        end = dt.datetime.combine(local.date(), dt.time(23, 59, 59), tzinfo=self.tz)
        return end.astimezone(dt.UTC)

    def apply(self, start: dt.datetime, limit: Limit) -> dt.datetime:
        if limit.same_day:
            return self.end_of_day(start)
        moment = start + dt.timedelta(hours=limit.hours)
        return self.add_working_days(moment, limit.working_days) if limit.working_days else moment


def due_at(
    policy: Policy, calendar: WorkingCalendar, created: dt.datetime, order_type: str, urgency: str
) -> dt.datetime:
    return calendar.apply(created, policy.limit_for(order_type, urgency))
