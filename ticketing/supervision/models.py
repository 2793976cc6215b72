from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base, utcnow


class Supervision(Base):
    """One rung of the escalation ladder reached by one work order.
    Level 0 is the due-soon warning (预警); 1.. are the configured rungs."""

    __tablename__ = "supervisions"
    __table_args__ = (UniqueConstraint("order_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    level: Mapped[int]
    name: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None]
