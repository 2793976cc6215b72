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
from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.database import DbSession
from ticketing.elders.models import Elder, ElderNumber
from ticketing.elders.schemas import ElderIn, ElderOut
from ticketing.elders.service import (
    elder_by_number,
    get_for_update,
    may_read,
    present,
    set_numbers,
)
from ticketing.errors import NotFound
from ticketing.types import PathId
from yht.phones import Phone

router = APIRouter(prefix="/elders", tags=["elders 一键呼叫档案"])


Readers = Annotated[Actor, require(Role.agent, Role.shift_lead, Role.admin, Role.unit_handler)]


Keepers = Annotated[Actor, require(Role.shift_lead, Role.admin)]


Lead = Annotated[Actor, require(Role.shift_lead)]


Center = Annotated[Actor, require(Role.agent, Role.shift_lead)]


Acd = Annotated[Actor, require(Role.acd)]


SOS_SUBJECT = "elderly.sos"


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ElderOut)
def register(body: ElderIn, db_session: DbSession, actor: Keepers) -> ElderOut:
    fields = body.model_dump(exclude={"numbers", "contacts"})
    elder = Elder(**fields, contacts=[c.model_dump() for c in body.contacts])
    db_session.add(elder)
    db_session.flush()
    set_numbers(db_session, elder, body.numbers)
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
    set_numbers(db_session, elder, body.numbers)
    audit(db_session, actor, "update", f"elder:{elder.id}")
    return present(db_session, elder, actor)


@router.post("/{elder_id}/confirm", response_model=ElderOut)
def confirm(elder_id: PathId, db_session: DbSession, actor: Lead) -> ElderOut:
    """A shift lead confirms that the elder's numbers are SOS devices (after
    checking who called): from the next sync on they route as SOS."""
    elder = get_for_update(db_session, elder_id)
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
    elder = get_for_update(db_session, elder_id)
    elder.active = active
    audit(db_session, actor, "activate" if active else "deactivate", f"elder:{elder.id}")
    return present(db_session, elder, actor)


@router.get("/devices", response_model=list[str])
def devices(db_session: DbSession, actor: Acd) -> list[str]:
    """The numbers the dialplan treats as SOS devices: confirmed numbers of
    active elders."""
    numbers = sorted(db_session.scalars(
        select(ElderNumber.number).join(Elder, Elder.id == ElderNumber.elder_id)
        .where(ElderNumber.confirmed, Elder.active)))  # fmt: skip
    audit(db_session, actor, "list", "elders:devices", f"n={len(numbers)}")
    return numbers


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
    if elder is None or not may_read(db_session, elder, actor):
        raise NotFound(f"档案不存在: {elder_id}")
    audit(db_session, actor, "read", f"elder:{elder.id}")
    return present(db_session, elder, actor)
