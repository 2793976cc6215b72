from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, Staff, require
from ticketing.database import DbSession
from ticketing.orgs import service
from ticketing.orgs.models import Subject, Unit, UnitKind

router = APIRouter(tags=["organisation 组织机构"])


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    categories: list[str]


class SubjectOut(BaseModel):
    code: str
    name: str
    parent_code: str | None


class ProviderScore(BaseModel):
    unit: UnitOut
    score: float
    callbacks: int
    satisfied: int
    basic: int
    unsatisfied: int


@router.get("/units", response_model=list[UnitOut])
def units(
    db_session: DbSession,
    actor: Staff,
    kind: UnitKind | None = None,
    category: str | None = None,
) -> list[UnitOut]:
    """The organisation tree, flat (parent_id links it); filter by kind or served category."""
    query = select(Unit).order_by(Unit.id)
    if kind is not None:
        query = query.where(Unit.kind == kind)
    rows = db_session.scalars(query).all()
    if category is not None:
        rows = [u for u in rows if category in (u.categories or [])]
    return [UnitOut.model_validate(u, from_attributes=True) for u in rows]


@router.get("/subjects", response_model=list[SubjectOut])
def subjects(db_session: DbSession, actor: Staff) -> list[SubjectOut]:
    rows = db_session.scalars(select(Subject).order_by(Subject.code))
    return [SubjectOut.model_validate(s, from_attributes=True) for s in rows]


@router.get("/providers/ranking", response_model=list[ProviderScore])
def provider_ranking(
    db_session: DbSession,
    actor: Annotated[Actor, require(Role.shift_lead, Role.admin)],
    bottom: Annotated[int | None, Query(ge=1, le=100)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> list[ProviderScore]:
    """Providers worst first by callback verdicts, all time or in `year`;
    `year=2026&bottom=5` gives that year's warning list."""
    ranked = service.provider_ranking(db_session, year)[:bottom]
    return [
        ProviderScore(
            unit=UnitOut.model_validate(u, from_attributes=True),
            score=round(s, 4),
            callbacks=sum(n),
            satisfied=n[0],
            basic=n[1],
            unsatisfied=n[2],
        )
        for u, s, n in ranked
    ]
