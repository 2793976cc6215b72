"""The area (片区) of a work order, for figures per area: the street (街道)
of the organisation tree the request is about.

A request's address names its street or one of the street's communities or
grids (幸福社区, 东城街道…): the first street so named is the area. An
address that names none (or no address: a policy question) falls back on
the street above the unit the order was dispatched to, and else counts as
未识别区域. The tree is the gazetteer: a center adds its streets and
communities to the organisation tree and the reports follow."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.orgs import tree
from ticketing.orgs.models import Unit

UNKNOWN = "未识别区域"
FORMULA = ("片区 = 地址中出现的街道 (或其社区、网格) 名称; 地址中没有时取承办单位所属街道;"
           " 都没有时计为“未识别区域”")  # fmt: skip
SUFFIXES = ("街道", "社区", "网格")


class Areas:
    def __init__(self, db_session: Session) -> None:
        units = db_session.execute(select(Unit.id, Unit.name, Unit.kind, Unit.parent_id)).all()
        parent = {uid: pid for uid, _, _, pid in units}
        kind = {uid: k for uid, _, k, _ in units}
        name = {uid: n for uid, n, _, _ in units}
        self._street_of: dict[int, str] = {}
        for uid in parent:
            found = next((n for n in tree.up(parent, uid) if kind.get(n) == "street"), None)
            if found is not None:
                self._street_of[uid] = name[found]
        # the names an address may use: full (幸福社区) and short (幸福); the
        # longer first, so 幸福社区第一网格 is not read as some other 幸福
        names: list[tuple[str, str]] = []
        for uid, street in self._street_of.items():
            full = name[uid]
            names.append((full, street))
            short = full
            for suffix in SUFFIXES:
                if short.endswith(suffix) and len(short) > len(suffix) + 1:
                    short = short[: -len(suffix)]
            if short != full:
                names.append((short, street))
        self._names = sorted(names, key=lambda item: -len(item[0]))

    def of(self, address: str | None, unit_id: int | None) -> str:
        if address:
            for written, street in self._names:
                if written in address:
                    return street
        if unit_id is not None and unit_id in self._street_of:
            return self._street_of[unit_id]
        return UNKNOWN
