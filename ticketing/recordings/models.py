from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.database import Base, utcnow


class Recording(Base):
    """One call's recording (录音): the mix and one file per leg (the citizen's
    voice, the agent's side), reported once by the ACD when the call ends.
    The work orders a call fed are found through order_calls.call_id."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    # hotline | sos | callback (回访, a missed call returned: the seat's leg)
    kind: Mapped[str] = mapped_column(String(8), default="hotline")
    queue: Mapped[str] = mapped_column(String(32), default="")
    hotline: Mapped[str] = mapped_column(String(16), default="")
    # the seat that answered first (an agent hears the calls they handled)
    seat: Mapped[str] = mapped_column(String(8), default="", index=True)
    mixed_file: Mapped[str] = mapped_column(String(128))
    citizen_file: Mapped[str | None] = mapped_column(String(128))
    agent_file: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    size_bytes: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # recorded | missing (no file: nobody answered) | purged (retention)
    status: Mapped[str] = mapped_column(String(16), default="recorded", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # the transcription: pending | done | failed | skipped (no job comes: an SOS
    # conference mix, an unanswered call; the reason in asr_note for both);
    # utterances [{speaker, start, end, text, words: [[word, start, end, conf]]}]
    asr_status: Mapped[str] = mapped_column(String(8), default="pending")
    asr_note: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    purged_at: Mapped[datetime | None]
