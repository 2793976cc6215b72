"""Hot topics: the day's work orders per subject (and per area), against the same weekday
of the four weeks before, with the surge alarm of surge.py and the words
behind each surge."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.orders.models import WorkOrder
from ticketing.orgs.models import Subject
from ticketing.reports.areas import FORMULA as AREA_FORMULA
from ticketing.reports.areas import Areas
from ticketing.reports.surge import ALPHA, FLOOR, MIN_COUNT, WEEKS, baseline, keywords, surges_on


def hot_topics(db_session: Session, day: dt.date, timezone: str) -> dict:
    zone = ZoneInfo(timezone)
    first = dt.datetime.combine(day - dt.timedelta(weeks=WEEKS), dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    counts: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    rows = db_session.execute(
        select(WorkOrder.subject_code, WorkOrder.created_at, WorkOrder.address, WorkOrder.unit_id)
        .where(WorkOrder.created_at >= first, WorkOrder.created_at < end))  # fmt: skip
    areas = Areas(db_session)
    per_area: dict[str, int] = defaultdict(int)
    for subject, created_at, address, unit_id in rows:
        local = created_at.astimezone(zone).date()
        counts[subject or "未分类"][local] += 1
        if local == day:
            per_area[areas.of(address, unit_id)] += 1
    surges = surges_on(day, counts)
    start = dt.datetime.combine(day, dt.time(), zone)
    found = []
    for surge in surges:
        code = None if surge.key == "未分类" else surge.key
        texts = db_session.scalars(select(WorkOrder.content).where(
            WorkOrder.created_at >= start, WorkOrder.created_at < end,
            WorkOrder.subject_code.is_(None) if code is None
            else WorkOrder.subject_code == code).limit(2000))  # fmt: skip
        found.append({"subject": surge.key, "count": surge.count, "baseline": surge.baseline,
                      "p_value": surge.p_value, "keywords": list(keywords(texts))})  # fmt: skip
    subjects = sorted(((k, v.get(day, 0), round(baseline(v, day), 2)) for k, v in counts.items()),
                      key=lambda item: -item[1])  # fmt: skip
    names: dict[str, str] = dict(db_session.execute(select(Subject.code, Subject.name)).all())
    for surge_found in found:
        code = str(surge_found["subject"])
        surge_found["name"] = names.get(code, code)
    return {
        "day": day.isoformat(),
        "rule": (f"当日件数 ≥ {MIN_COUNT} 且按前 {WEEKS} 周同一星期几的均值 (至少 {FLOOR:g})"
                 f" 计算的泊松上尾概率 < {ALPHA:g} 即为激增"),
        "subjects": [{"subject": k, "name": names.get(k, k), "count": c, "baseline": b}
                     for k, c, b in subjects if c],
        "surges": found,
        "areas": [{"area": k, "count": c}
                  for k, c in sorted(per_area.items(), key=lambda item: -item[1])],
        "area_rule": AREA_FORMULA,
    }  # fmt: skip
