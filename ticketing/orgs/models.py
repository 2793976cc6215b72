from __future__ import annotations

from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base


class UnitKind(StrEnum):
    district_center = "center"  # 区热线中心 / 网格化服务管理中心: dispatches the big loop
    street = "street"  # 街道 / 乡镇: dispatches its own small loop
    community = "community"  # 社区 / 村居
    grid = "grid"  # 网格
    department = "department"  # 职能部门
    provider = "provider"  # 加盟服务企业


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # subject codes a department or provider serves
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # callback verdicts accumulated on this unit (providers are ranked by them)
    verdicts_satisfied: Mapped[int] = mapped_column(default=0)
    verdicts_basic: Mapped[int] = mapped_column(default=0)
    verdicts_unsatisfied: Mapped[int] = mapped_column(default=0)


class Subject(Base):
    """One entry of the subject taxonomy (市政市容, 供暖, 供水 ...), held as data."""

    __tablename__ = "subjects"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("subjects.code"))
