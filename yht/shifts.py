"""The shift plan (yht/data/schedule.yaml): how many seats should be open when.
Read by the ACD (open seats against the plan, live) and the reports (seats
needed by Erlang C against the plan)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml


@dataclass(frozen=True)
class Shift:
    name: str
    start: int  # minutes after midnight, local time
    end: int
    seats: int


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value <= 24 * 60:
        raise ValueError(f"not a time of day: {text}")
    return value


class ShiftPlan:
    def __init__(self, path: Path) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.tz = ZoneInfo(data["timezone"])
        self.shifts = [Shift(s["name"], _minutes(s["start"]), _minutes(s["end"]), int(s["seats"]))
                       for s in data["shifts"]]  # fmt: skip
        covered = sorted((s.start, s.end) for s in self.shifts)
        edge = 0
        for start, end in covered:
            if start != edge or end <= start:
                raise ValueError(f"{path}: shifts must cover the day without gaps or overlaps")
            edge = end
        if edge != 24 * 60:
            raise ValueError(f"{path}: shifts must cover the day without gaps or overlaps")

    def current(self, now: dt.datetime) -> Shift:
        local = now.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        return next(s for s in self.shifts if s.start <= minute < s.end)
