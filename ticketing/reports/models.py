from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base, utcnow


class QueueLogCursor(Base):
    """How far a queue_log file has been read: its inode (a rotated file is a
    new one) and the byte offset after the last whole line taken. Moved in the
    same transaction as the lines it covers: no gap, no line twice."""

    __tablename__ = "queue_log_cursors"

    source: Mapped[str] = mapped_column(String(255), primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger, default=0)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    taken: Mapped[int] = mapped_column(BigInteger, default=0)  # lines stored
    malformed: Mapped[int] = mapped_column(BigInteger, default=0)  # skipped, counted
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)  # seen before, skipped
    # stored, but their effect refused by the database (logged; ingest.py)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueLogLine(Base):
    """One queue_log line as Asterisk wrote it; `key` (SHA-1 of the line) is
    its natural key, so a line read twice is stored once."""

    __tablename__ = "queue_log_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    at: Mapped[datetime] = mapped_column(index=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(32))
    agent: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(24))
    data: Mapped[str] = mapped_column(Text, default="")


class QueueCall(Base):
    """One stay of a call in a queue, built from its queue_log lines: entered,
    then answered (with the wait and the seat), abandoned, timed out, left by
    a key, or still waiting. A call that rejoins a queue is a second stay."""

    __tablename__ = "queue_calls"
    __table_args__ = (UniqueConstraint("call_id", "queue", "entered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    queue: Mapped[str] = mapped_column(String(32))
    hotline: Mapped[str] = mapped_column(String(16), default="")
    entered_at: Mapped[datetime] = mapped_column(index=True)
    # waiting | answered | abandoned | timeout | key | menu (hung up out of the queue)
    outcome: Mapped[str] = mapped_column(String(12), default="waiting")
    wait_s: Mapped[float | None] = mapped_column(Float)
    agent: Mapped[str] = mapped_column(String(64), default="")
    connected_at: Mapped[datetime | None]
    talk_s: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[datetime | None]


class CallRecord(Base):
    """One CDR (Asterisk's call detail record, cdr_csv's Master.csv line) of
    one leg: every call the switch saw, also one that never reached the
    front end or a queue. `key` (SHA-1 of the line) is its natural key;
    `call_id` is the leg's uniqueid (a citizen leg's is the call id the
    queue_log, the work orders and the recordings use). No phone number is
    kept: `hotline` is the number dialled (the dialplan's CDR(userfield),
    `sos:` before an SOS line's), never the caller's."""

    __tablename__ = "call_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    # citizen (the citizen trunk) | partner (120/110, callbacks) | seat | local | other
    leg: Mapped[str] = mapped_column(String(12))
    hotline: Mapped[str] = mapped_column(String(24), default="")
    context: Mapped[str] = mapped_column(String(80), default="")
    last_app: Mapped[str] = mapped_column(String(32), default="")
    disposition: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime]
    duration_s: Mapped[int] = mapped_column(default=0)
    billsec_s: Mapped[int] = mapped_column(default=0)
