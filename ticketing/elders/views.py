"""The elder registry and the SOS call record.

Who sees what: agents and shift leads see a profile in full (they read it to
120); admins and shift leads keep the registry; a unit handler sees only the
elders of their own community or grid (or the communities of their street):
who and where, never health data, numbers masked. The ACD reads only the
confirmed SOS device numbers of active elders (for AstDB) and the emergency
contacts' numbers (to ring them), and reports each step of an SOS call.

A number that called the SOS line once without being registered is an
emergency that time and gets a follow-up profile, but it routes as an SOS
device only after a shift lead confirms it (a misdial, a relative's phone or
a spoofed caller id must not ring every seat ahead of everyone for good).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.auth.roles import Role, phone_for
from ticketing.auth.service import Actor, audit, require
from ticketing.database import DbSession
from ticketing.elders.models import Elder, ElderNumber
from ticketing.errors import Conflict, NotFound
from ticketing.orgs.models import Unit
from ticketing.types import PathId
from yht.phones import Phone

router = APIRouter(prefix="/elders", tags=["elders 一键呼叫档案"])

Readers = Annotated[Actor, require(Role.agent, Role.shift_lead, Role.admin, Role.unit_handler)]
Keepers = Annotated[Actor, require(Role.shift_lead, Role.admin)]
Lead = Annotated[Actor, require(Role.shift_lead)]
Center = Annotated[Actor, require(Role.agent, Role.shift_lead)]
Acd = Annotated[Actor, require(Role.acd)]
HEALTH_VISIBLE = frozenset({Role.agent, Role.shift_lead, Role.admin})
SOS_SUBJECT = "elderly.sos"

Name = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Words = Annotated[str, StringConstraints(max_length=2000)]
Label = Annotated[str, StringConstraints(max_length=64)]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    relation: Label = ""
    phone: Phone


class ElderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    age: int | None = Field(default=None, ge=0, le=130)
    numbers: list[Phone] = Field(min_length=1, max_length=5)
    address: Annotated[str, StringConstraints(max_length=255)] = ""
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    conditions: Words = ""
    medicines: Words = ""
    contacts: list[Contact] = Field(default_factory=list, max_length=5)
    community: Label = ""
    grid: Label = ""
    worker_name: Label = ""
    worker_phone: Phone | None = None
    follow_up: bool = False


class ElderOut(BaseModel):
    id: int
    name: str
    age: int | None
    numbers: list[str]
    address: str
    latitude: float | None
    longitude: float | None
    conditions: str | None = Field(description="null for roles that may not see health data")
    medicines: str | None
    contacts: list[dict]
    community: str
    grid: str
    worker_name: str
    worker_phone: str | None
    follow_up: bool
    active: bool
    unconfirmed_numbers: list[str] = Field(
        description="numbers that called the SOS line but do not route as SOS until confirmed"
    )


# ------------------------------------------------------------- presenting
def _numbers(db_session: Session, elder_id: int, confirmed: bool | None = None) -> list[str]:
    query = select(ElderNumber.number).where(ElderNumber.elder_id == elder_id)
    if confirmed is not None:
        query = query.where(ElderNumber.confirmed == confirmed)
    return sorted(db_session.scalars(query))


def present(db_session: Session, elder: Elder, actor: Actor) -> ElderOut:
    health = actor.role in HEALTH_VISIBLE
    return ElderOut(
        id=elder.id, name=elder.name, age=elder.age,
        numbers=[phone_for(actor.role, n) or "" for n in _numbers(db_session, elder.id)],
        unconfirmed_numbers=[phone_for(actor.role, n) or ""
                             for n in _numbers(db_session, elder.id, confirmed=False)],
        active=elder.active,
        address=elder.address, latitude=elder.latitude, longitude=elder.longitude,
        conditions=elder.conditions if health else None,
        medicines=elder.medicines if health else None,
        contacts=[{**c, "phone": phone_for(actor.role, c.get("phone"))} for c in elder.contacts],
        community=elder.community, grid=elder.grid, worker_name=elder.worker_name,
        worker_phone=phone_for(actor.role, elder.worker_phone), follow_up=elder.follow_up,
    )  # fmt: skip


def _area_of(db_session: Session, unit_id: int | None) -> set[str]:
    """Codes and names of a unit and every unit below it: the communities and
    grids whose elders its handlers may see. (The tree is a district's few
    hundred units.)"""
    units = list(db_session.scalars(select(Unit)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    found: set[str] = set()
    frontier = [u for u in units if u.id == unit_id]
    while frontier:
        unit = frontier.pop()
        found |= {unit.code, unit.name}
        frontier.extend(children.get(unit.id, []))
    return found


def _may_read(db_session: Session, elder: Elder, actor: Actor) -> bool:
    if actor.role != Role.unit_handler:
        return True
    area = _area_of(db_session, actor.unit_id)
    return bool({elder.community, elder.grid} & area - {""})


def elder_by_number(db_session: Session, number: str | None) -> Elder | None:
    if not number:
        return None
    row = db_session.scalar(select(ElderNumber).where(ElderNumber.number == number))
    return db_session.get(Elder, row.elder_id) if row is not None else None


def _set_numbers(db_session: Session, elder: Elder, numbers: list[str]) -> None:
    others = ElderNumber.elder_id != elder.id
    taken = db_session.scalars(select(ElderNumber).where(ElderNumber.number.in_(numbers), others))
    clash = [n.number for n in taken]
    if clash:
        raise Conflict(f"号码已登记给其他老人: {', '.join(clash)}")
    for row in db_session.scalars(select(ElderNumber).where(ElderNumber.elder_id == elder.id)):
        if row.number not in numbers:
            db_session.delete(row)
    have = set(_numbers(db_session, elder.id))
    db_session.add_all(ElderNumber(elder_id=elder.id, number=n)
                       for n in dict.fromkeys(numbers) if n not in have)  # fmt: skip
    db_session.flush()


# ----------------------------------------------------------------- registry
@router.post("", status_code=status.HTTP_201_CREATED, response_model=ElderOut)
def register(body: ElderIn, db_session: DbSession, actor: Keepers) -> ElderOut:
    fields = body.model_dump(exclude={"numbers", "contacts"})
    elder = Elder(**fields, contacts=[c.model_dump() for c in body.contacts])
    db_session.add(elder)
    db_session.flush()
    _set_numbers(db_session, elder, body.numbers)
    audit(db_session, actor, "register", f"elder:{elder.id}")
    return present(db_session, elder, actor)


@router.put("/{elder_id}", response_model=ElderOut)
def update(elder_id: PathId, body: ElderIn, db_session: DbSession, actor: Keepers) -> ElderOut:
    elder = db_session.get(Elder, elder_id, with_for_update=True)
    if elder is None:
        raise NotFound(f"档案不存在: {elder_id}")
    for key, value in body.model_dump(exclude={"numbers", "contacts"}).items():
        setattr(elder, key, value)
    elder.contacts = [c.model_dump() for c in body.contacts]
    _set_numbers(db_session, elder, body.numbers)
    audit(db_session, actor, "update", f"elder:{elder.id}")
    return present(db_session, elder, actor)


@router.post("/{elder_id}/confirm", response_model=ElderOut)
def confirm(elder_id: PathId, db_session: DbSession, actor: Lead) -> ElderOut:
    """A shift lead confirms that the elder's numbers are SOS devices (after
    checking who called): from the next sync on they route as SOS."""
    elder = _get(db_session, elder_id)
    for row in db_session.scalars(select(ElderNumber).where(ElderNumber.elder_id == elder.id)):
        row.confirmed = True
    audit(db_session, actor, "confirm", f"elder:{elder.id}")
    return present(db_session, elder, actor)


@router.post("/{elder_id}/deactivate", response_model=ElderOut)
def deactivate(elder_id: PathId, db_session: DbSession, actor: Keepers) -> ElderOut:
    """The elder's numbers stop routing as SOS within the ACD's sync interval."""
    return _set_active(db_session, elder_id, actor, active=False)


@router.post("/{elder_id}/activate", response_model=ElderOut)
def activate(elder_id: PathId, db_session: DbSession, actor: Keepers) -> ElderOut:
    return _set_active(db_session, elder_id, actor, active=True)


def _set_active(db_session: Session, elder_id: int, actor: Actor, active: bool) -> ElderOut:
    elder = _get(db_session, elder_id)
    elder.active = active
    audit(db_session, actor, "activate" if active else "deactivate", f"elder:{elder.id}")
    return present(db_session, elder, actor)


def _get(db_session: Session, elder_id: int) -> Elder:
    elder = db_session.get(Elder, elder_id, with_for_update=True)
    if elder is None:
        raise NotFound(f"档案不存在: {elder_id}")
    return elder


@router.get("/devices", response_model=list[str])
def devices(db_session: DbSession, actor: Acd) -> list[str]:
    """The numbers the dialplan treats as SOS devices: confirmed numbers of
    active elders."""
    return sorted(db_session.scalars(
        select(ElderNumber.number).join(Elder, Elder.id == ElderNumber.elder_id)
        .where(ElderNumber.confirmed, Elder.active)))  # fmt: skip


@router.get("/contacts", response_model=list[dict])
def contacts(db_session: DbSession, actor: Acd,
             number: Annotated[Phone, Query()]) -> list[dict]:  # fmt: skip
    """The emergency contacts' numbers only: the ACD rings them on escalation."""
    elder = elder_by_number(db_session, number)
    audit(db_session, actor, "contacts", f"elder:{elder.id if elder else '-'}")
    return [{"phone": c["phone"]} for c in elder.contacts] if elder else []


@router.get("/lookup", response_model=ElderOut)
def lookup(db_session: DbSession, actor: Center,
           number: Annotated[Phone, Query()]) -> ElderOut:  # fmt: skip
    """The profile behind a calling number (the SOS screen-pop)."""
    elder = elder_by_number(db_session, number)
    if elder is None:
        raise NotFound("号码未登记")
    audit(db_session, actor, "lookup", f"elder:{elder.id}")
    return present(db_session, elder, actor)


@router.get("/{elder_id}", response_model=ElderOut)
def read(elder_id: PathId, db_session: DbSession, actor: Readers) -> ElderOut:
    elder = db_session.get(Elder, elder_id)
    if elder is None or not _may_read(db_session, elder, actor):
        raise NotFound(f"档案不存在: {elder_id}")
    audit(db_session, actor, "read", f"elder:{elder.id}")
    return present(db_session, elder, actor)
