"""A call's transcript as the text a work order shows (市民: … / 话务员: …)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ticketing.auth.models import User
from ticketing.auth.roles import Role
from ticketing.auth.service import Actor
from ticketing.errors import NotFound
from ticketing.orders.models import OrderCall
from ticketing.recordings.models import Recording

MAX_CHARS = 20_000


def as_text(utterances: list[dict]) -> str:
    return "\n".join(f"{u['speaker']}: {u['text']}" for u in utterances)[:MAX_CHARS]


def linking_seat(db_session: Session, actor: Actor) -> str | None:
    """Whose calls `actor` may link to an order: an agent their own seat's
    ("-" without a seat: none); a shift lead (and the services) any (None)."""
    if actor.role != Role.agent:
        return None
    user = db_session.get(User, actor.id) if actor.id else None
    return user.seat if user and user.seat else "-"


def call_for_order(db_session: Session, actor: Actor, call: dict) -> dict:
    """A call about to be linked to an order, with the seat that links it and
    the call's transcript when there is one. A call another seat answered
    is refused (the same answer as one that does not exist): its transcript
    holds a citizen's name, address, number, illness."""
    seat = linking_seat(db_session, actor)
    found = db_session.execute(select(Recording.seat, Recording.transcript)
                               .where(Recording.call_id == call["call_id"])).first()  # fmt: skip
    if found is not None and seat is not None and found.seat != seat:
        raise NotFound(f"call_id: 通话不存在或不是本座席接听的 {call['call_id'][:64]}")
    transcript = as_text(found.transcript) if found is not None and found.transcript else None
    return {**call, "seat": seat, "transcript": call.get("transcript") or transcript}


def takes_transcript_of(recording: Recording):
    """The order calls a recording's transcript may reach, as a WHERE clause:
    linked by the seat that answered, or by someone who may hear any call."""
    return (OrderCall.call_id == recording.call_id) & or_(
        OrderCall.seat.is_(None), OrderCall.seat == recording.seat
    )
