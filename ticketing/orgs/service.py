"""Reference data: loading the organisation tree and the taxonomy, reading them."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.orgs.models import Subject, Unit, UnitKind


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


def provider_ranking(db_session: Session) -> list[tuple[Unit, float, int]]:
    """Providers by satisfaction (满意 1, 基本满意 0.5, 不满意 0), worst first;
    seed 004 warns or drops the bottom ones every year."""
    providers = db_session.scalars(select(Unit).where(Unit.kind == UnitKind.provider)).all()
    ranked = []
    for unit in providers:
        total = unit.verdicts_satisfied + unit.verdicts_basic + unit.verdicts_unsatisfied
        score = (unit.verdicts_satisfied + 0.5 * unit.verdicts_basic) / total if total else 1.0
        ranked.append((unit, score, total))
    return sorted(ranked, key=lambda r: (r[1], -r[2], r[0].id))
