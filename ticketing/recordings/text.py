"""A call's transcript as the text a work order shows (市民: … / 话务员: …)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.recordings.models import Recording

MAX_CHARS = 20_000


def as_text(utterances: list[dict]) -> str:
    return "\n".join(f"{u['speaker']}: {u['text']}" for u in utterances)[:MAX_CHARS]


def transcript_text(db_session: Session, call_id: str) -> str | None:
    """The call's transcript, when a worker has made one."""
    utterances = db_session.scalar(select(Recording.transcript)
                                   .where(Recording.call_id == call_id))  # fmt: skip
    return as_text(utterances) if utterances else None
