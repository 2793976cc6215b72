from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base, utcnow


class WorkOrder(Base):
    __tablename__ = "work_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # 20261125-000123
    channel: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(16), index=True)
    subject_code: Mapped[str | None] = mapped_column(ForeignKey("subjects.code"), index=True)
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    content: Mapped[str] = mapped_column(Text)
    caller_phone: Mapped[str | None] = mapped_column(String(32))
    # keyed hash of the number: related-request lookups without scanning clear text
    caller_key: Mapped[str | None] = mapped_column(String(64))
    caller_name: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(255))
    address_key: Mapped[str | None] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)
    # main unit (主办): first-responder ownership until closed
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    verdict: Mapped[str | None] = mapped_column(String(16))
    reopen_count: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it)
    # related-request lookups: the newest orders of one caller / one address,
    # one subject at one place (a LIKE 'prefix%' on the address: migration 0009)
    __table_args__ = (
        Index("ix_work_orders_caller_recent", "caller_key", "created_at"),
        Index("ix_work_orders_address_recent", "address_key", "created_at"),
        Index(
            "ix_work_orders_subject_place",
            "subject_code",
            "address_key",
            postgresql_ops={"address_key": "varchar_pattern_ops"},
        ),
    )


class OrderUnit(Base):
    """Units on a work order: one 主办 (main), any number of 协办 (assist)."""

    __tablename__ = "order_units"
    __table_args__ = (UniqueConstraint("order_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # main | assist


class OrderEvent(Base):
    """The append-only log of everything that happened to a work order."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class OrderLink(Base):
    """A related request: same caller, same address or same subject nearby in time."""

    __tablename__ = "order_links"
    __table_args__ = (UniqueConstraint("order_id", "related_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    related_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrderCall(Base):
    """A call (and its recording) behind a work order; one call may feed several."""

    __tablename__ = "order_calls"
    __table_args__ = (UniqueConstraint("order_id", "call_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    recording: Mapped[str | None] = mapped_column(String(255))
    transcript: Mapped[str | None] = mapped_column(Text)
    # the seat of the agent who linked the call (None: a shift lead or the
    # service): the call's transcript reaches the order only from that seat's call
    seat: Mapped[str | None] = mapped_column(String(8))


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReassignRequest(Base):
    """A unit's request to be relieved of a work order; the center decides."""

    __tablename__ = "reassign_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class IntakeKey(Base):
    """Idempotency keys of channel deliveries: a retry finds its work order here.
    A key belongs to the gateway that sent it, and to the body it came with."""

    __tablename__ = "intake_keys"
    __table_args__ = (UniqueConstraint("gateway_id", "channel", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    # SHA-256 of the delivered message: a replay with another body is refused
    body_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyCounter(Base):
    """Last sequence number handed out on a day (China time) for work-order numbers."""

    __tablename__ = "daily_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
