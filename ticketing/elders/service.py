"""The elder registry's rules: who sees what of a profile, which elders a
unit handler may see, one number to one elder."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.auth.roles import Role, phone_for
from ticketing.auth.service import Actor
from ticketing.elders.models import Elder, ElderNumber
from ticketing.elders.schemas import ElderOut
from ticketing.errors import Conflict, NotFound
from ticketing.orgs import tree
from ticketing.orgs.models import Unit

HEALTH_VISIBLE = frozenset({Role.agent, Role.shift_lead, Role.admin})


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
    if unit_id is None:
        return set()
    units = db_session.execute(select(Unit.id, Unit.parent_id, Unit.code, Unit.name)).all()
    children: dict[int, list[int]] = {}
    for unit in units:
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit.id)
    below = tree.down(children, unit_id)
    return {label for unit in units if unit.id in below for label in (unit.code, unit.name)}


def may_read(db_session: Session, elder: Elder, actor: Actor) -> bool:
    if actor.role != Role.unit_handler:
        return True
    area = _area_of(db_session, actor.unit_id)
    return bool({elder.community, elder.grid} & area - {""})


def elder_by_number(db_session: Session, number: str | None) -> Elder | None:
    if not number:
        return None
    row = db_session.scalar(select(ElderNumber).where(ElderNumber.number == number))
    return db_session.get(Elder, row.elder_id) if row is not None else None


def set_numbers(db_session: Session, elder: Elder, numbers: list[str]) -> None:
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


def get_for_update(db_session: Session, elder_id: int) -> Elder:
    elder = db_session.get(Elder, elder_id, with_for_update=True)
    if elder is None:
        raise NotFound(f"档案不存在: {elder_id}")
    return elder
