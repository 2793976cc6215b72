"""Reference data: loading the organisation tree and the taxonomy, reading them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.cache import WriteClearedCache
from ticketing.callbacks.models import CallbackTask
from ticketing.orgs.models import Subject, Unit, UnitKind

# the subject codes known to exist (the taxonomy changes a few times a year)
_subjects = WriteClearedCache("subjects", {"subjects"}, maxsize=2048, ttl_s=300)


def subject_exists(db_session: Session, code: str) -> bool:
    """Whether the taxonomy has `code`; read from the database once per code
    (and again after any change to the taxonomy)."""
    return bool(_subjects.get(code, lambda: db_session.get(Subject, code) and True))


def load_reference_data(db_session: Session, org_file: Path, subjects_file: Path) -> None:
    """Fill empty tables from the YAML files; never touches existing rows."""
    if not db_session.scalar(select(func.count()).select_from(Subject)):
        for item in yaml.safe_load(subjects_file.read_text(encoding="utf-8")):
            db_session.add(
                Subject(code=item["code"], name=item["name"], parent_code=item.get("parent"))
            )
            db_session.flush()
    if not db_session.scalar(select(func.count()).select_from(Unit)):
        for item in yaml.safe_load(org_file.read_text(encoding="utf-8")):
            _add_unit(db_session, item, None)
    db_session.flush()


def _add_unit(db_session: Session, item: dict, parent_id: int | None) -> None:
    unit = Unit(
        code=item["code"],
        name=item["name"],
        kind=UnitKind(item["kind"]),
        parent_id=parent_id,
        categories=item.get("categories", []),
    )
    db_session.add(unit)
    db_session.flush()
    for child in item.get("children", []):
        _add_unit(db_session, child, unit.id)


Verdicts = tuple[int, int, int]  # satisfied, basic, unsatisfied


def provider_ranking(
    db_session: Session, year: int | None = None, timezone: str = "Asia/Shanghai"
) -> list[tuple[Unit, float, Verdicts]]:
    """Providers by satisfaction (满意 1, 基本满意 0.5, 不满意 0), worst first,
    with their (satisfied, basic, unsatisfied) counts: all time, or the
    callbacks done in `year` (the center's calendar year). Seed 004 warns or
    drops the bottom ones every year."""
    providers = db_session.scalars(select(Unit).where(Unit.kind == UnitKind.provider)).all()
    counts = {u.id: (u.verdicts_satisfied, u.verdicts_basic, u.verdicts_unsatisfied)
              for u in providers}  # fmt: skip
    if year is not None:
        zone = ZoneInfo(timezone)
        start, end = dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)
        tally: dict[int, list[int]] = {u.id: [0, 0, 0] for u in providers}
        for unit_id, verdict in db_session.execute(
            select(CallbackTask.unit_id, CallbackTask.verdict).where(
                CallbackTask.done_at >= start, CallbackTask.done_at < end,
                CallbackTask.unit_id.in_(list(tally)))):  # fmt: skip
            index = {"satisfied": 0, "basic": 1, "unsatisfied": 2}.get(verdict or "")
            if index is not None and unit_id is not None:
                tally[unit_id][index] += 1
        counts = {k: (v[0], v[1], v[2]) for k, v in tally.items()}
    ranked = []
    for unit in providers:
        satisfied, basic, unsatisfied = counts[unit.id]
        total = satisfied + basic + unsatisfied
        score = (satisfied + 0.5 * basic) / total if total else 1.0
        ranked.append((unit, score, counts[unit.id]))
    return sorted(ranked, key=lambda r: (r[1], -sum(r[2]), r[0].id))
