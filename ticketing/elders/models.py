from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base, utcnow


class Elder(Base):
    """An elderly resident with a one-key SOS phone. Health data (conditions,
    medicines) is shown only to the center's agents and shift leads."""

    __tablename__ = "elders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    age: Mapped[int | None]
    address: Mapped[str] = mapped_column(String(255), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    conditions: Mapped[str] = mapped_column(Text, default="")  # 病史
    medicines: Mapped[str] = mapped_column(Text, default="")  # 用药
    # [{"name": ..., "relation": ..., "phone": ...}]
    contacts: Mapped[list] = mapped_column(JSON, default=list)
    community: Mapped[str] = mapped_column(String(64), default="")
    grid: Mapped[str] = mapped_column(String(64), default="")
    worker_name: Mapped[str] = mapped_column(String(64), default="")  # 社区工作人员
    worker_phone: Mapped[str | None] = mapped_column(String(32))
    # an unknown number called the SOS line: the profile must be completed
    follow_up: Mapped[bool] = mapped_column(default=False, index=True)
    # a deactivated elder's numbers no longer route as SOS (moved away, died)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ElderNumber(Base):
    """A number that identifies the elder: the SOS device, a mobile, a landline."""

    __tablename__ = "elder_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # routes as an SOS device only once confirmed: a number that called the SOS
    # line once (a misdial, a relative, a spoofed caller id) waits for a shift lead
    confirmed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class SosCall(Base):
    """One SOS call and the emergency work order made for it."""

    __tablename__ = "sos_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"), index=True)
    caller_phone: Mapped[str | None] = mapped_column(String(32))
    hotline: Mapped[str] = mapped_column(String(16), default="")
    recording: Mapped[str] = mapped_column(String(255), default="")
    follow_up: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SosEvent(Base):
    """A step of an SOS call's timeline, as the ACD saw it in Asterisk's events."""

    __tablename__ = "sos_events"
    __table_args__ = (UniqueConstraint("sos_call_id", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sos_call_id: Mapped[int] = mapped_column(ForeignKey("sos_calls.id"), index=True)
    # start offered answered escalated overdue dialled dial_failed joined left
    # contact_called ended
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(Text, default="")
    seat: Mapped[str | None] = mapped_column(String(8))
