from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base, utcnow


class MissedCall(Base):
    """A caller who left the queue unanswered (hung up, or no seat in time):
    the center calls them back (零呼损, no call lost). One per call."""

    __tablename__ = "missed_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    caller_phone: Mapped[str | None] = mapped_column(String(32))
    hotline: Mapped[str] = mapped_column(String(16), default="")
    queue: Mapped[str] = mapped_column(String(32), default="")
    waited_s: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(16))  # abandoned | no_agent | menu
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    done_at: Mapped[datetime | None]
