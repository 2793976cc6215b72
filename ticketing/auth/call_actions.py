"""The desk's call actions in the audit log: the ACD reports each hang-up,
transfer (incl. the 110 handoff), added party and listen it carried out, with
who asked for it, which call and which number. Delivered at least once from
the ACD's Redis list; the entry's `ref` makes a repeat a no-op."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ticketing.auth.models import AuditEntry, User
from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, audit, require
from ticketing.context import Ctx
from ticketing.database import DbSession
from yht.privacy import mask_number, number_key

router = APIRouter(tags=["auth 用户与权限"])
Acd = Annotated[Actor, require(Role.acd)]
EMERGENCY = ("110", "119", "120", "122")


class CallActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ref: str = Field(pattern=r"^[0-9a-f]{32}$")
    user: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    seat: str = Field(pattern=r"^[0-9]{3,6}$")
    action: str = Field(pattern="^(hangup|transfer|party|dial|spy_listen|spy_whisper|spy_barge)$")
    call_id: str = Field(default="", max_length=64)
    target: str = Field(default="", pattern=r"^[a-z0-9]{0,20}$")
    at: float = Field(gt=0, lt=4_102_444_800)


def _number_for_log(target: str, key: str) -> str:
    """A dialled citizen's number is kept as mask + keyed hash (an
    investigator can match a number without the log holding it); queues,
    seats, emergency and short numbers as they are."""
    if target.isdigit() and len(target) >= 7 and target not in EMERGENCY:
        return f"{mask_number(target)} #{number_key(target, key)[:12]}"
    return target


@router.post("/call-actions", status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "reported before (same ref)"}})  # fmt: skip
def report_call_action(body: CallActionIn, response: Response, db_session: DbSession, ctx: Ctx,
                       actor: Acd) -> dict:  # fmt: skip
    target = f"call:{body.call_id or '-'}"[:64]
    ref = f"ref={body.ref}"
    seen = db_session.scalar(select(AuditEntry.id).where(
        AuditEntry.target == target, AuditEntry.detail.startswith(ref)))  # fmt: skip
    if seen is not None:
        response.status_code = status.HTTP_200_OK
        return {"id": seen}
    user = db_session.scalar(select(User).where(User.username == body.user))
    who = Actor(user.id, user.username, Role(user.role), user.unit_id) if user else None
    number = _number_for_log(body.target, ctx.settings.caller_hash_key)
    detail = f"{ref} seat={body.seat} target={number} by={body.user}"
    audit(db_session, who, f"call_{body.action}"[:32], target, detail)
    db_session.flush()
    return {"recorded": True}
