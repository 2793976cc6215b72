"""The administrator's edits of the organisation tree and the subject
taxonomy: add a unit or a subject, rename it, move a unit, change what a
department serves. Nothing is deleted: orders and reports keep pointing at
what they pointed at."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.database import DbSession
from ticketing.errors import Conflict, Invalid, NotFound
from ticketing.orgs import tree
from ticketing.orgs.models import Subject, Unit, UnitKind
from ticketing.orgs.views import SubjectOut, UnitOut
from ticketing.types import DbId, PathId

router = APIRouter(tags=["organisation 组织机构"])
Admin = Annotated[Actor, require(Role.admin)]
CODE = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9.-]*$")
NAME = Field(min_length=1, max_length=64)
Categories = list[Annotated[str, Field(min_length=1, max_length=32)]]


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = CODE
    name: str = NAME
    kind: UnitKind
    parent_id: DbId | None = None
    categories: Categories = []


class UnitEdit(BaseModel):
    """Only what is given changes (a rename, a move, the 承办分类)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=64)
    parent_id: DbId | None = None
    categories: Categories | None = None


class SubjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = CODE
    name: str = NAME
    parent_code: str | None = None


class SubjectEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = NAME


def _parent(db_session: DbSession, parent_id: int | None, unit_id: int | None = None) -> None:
    """The parent exists, and is not the unit itself or one of its own
    branch; checked under the tree's lock, held until the move commits."""
    tree.serialise_moves(db_session)
    if parent_id is None:
        return
    if db_session.get(Unit, parent_id) is None:
        raise Invalid(f"parent_id: 上级单位不存在 {parent_id}")
    parent_of = {uid: pid for uid, pid in db_session.execute(select(Unit.id, Unit.parent_id))}
    above = list(tree.up(parent_of, parent_id))
    if unit_id in above:
        raise Invalid("parent_id: 不能把单位移到它自己的下级")
    if len(above) >= tree.MAX_DEPTH:
        raise Invalid(f"parent_id: 组织机构层级不能超过 {tree.MAX_DEPTH} 层")


@router.post("/units", status_code=status.HTTP_201_CREATED, response_model=UnitOut)
def add_unit(body: UnitIn, db_session: DbSession, actor: Admin) -> UnitOut:
    if db_session.scalar(select(Unit.id).where(Unit.code == body.code)) is not None:
        raise Conflict(f"单位代码已存在: {body.code}")
    _parent(db_session, body.parent_id)
    unit = Unit(**body.model_dump())
    db_session.add(unit)
    db_session.flush()
    audit(db_session, actor, "create", f"unit:{unit.id}", body.code)
    return UnitOut.model_validate(unit, from_attributes=True)


@router.patch("/units/{unit_id}", response_model=UnitOut)
def edit_unit(unit_id: PathId, body: UnitEdit, db_session: DbSession, actor: Admin) -> UnitOut:
    changes = body.model_dump(exclude_unset=True)
    if "parent_id" in changes:  # the lock first, then every read of the tree
        _parent(db_session, body.parent_id, unit_id)
    unit = db_session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位不存在: {unit_id}")
    for name, value in changes.items():
        if value is not None or name == "parent_id":
            setattr(unit, name, value)
    audit(db_session, actor, "update", f"unit:{unit_id}", ",".join(changes))
    return UnitOut.model_validate(unit, from_attributes=True)


@router.post("/subjects", status_code=status.HTTP_201_CREATED, response_model=SubjectOut)
def add_subject(body: SubjectIn, db_session: DbSession, actor: Admin) -> SubjectOut:
    if db_session.get(Subject, body.code) is not None:
        raise Conflict(f"分类代码已存在: {body.code}")
    if body.parent_code and db_session.get(Subject, body.parent_code) is None:
        raise Invalid(f"parent_code: 上级分类不存在 {body.parent_code}")
    subject = Subject(**body.model_dump())
    db_session.add(subject)
    db_session.flush()
    audit(db_session, actor, "create", f"subject:{body.code}")
    return SubjectOut.model_validate(subject, from_attributes=True)


@router.patch("/subjects/{code}", response_model=SubjectOut)
def edit_subject(code: str, body: SubjectEdit, db_session: DbSession, actor: Admin) -> SubjectOut:
    subject = db_session.get(Subject, code)
    if subject is None:
        raise NotFound(f"分类不存在: {code}")
    subject.name = body.name
    audit(db_session, actor, "update", f"subject:{code}")
    return SubjectOut.model_validate(subject, from_attributes=True)
