"""Recordings (录音): reported by the ACD when a recorded call ends; heard
only through this API, by those who need to: agents the calls they
answered, shift leads and administrators every call, unit handlers the
calls behind work orders their unit owns. Every listen is audited."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from recordings.extract import fill
from ticketing.auth.models import User
from ticketing.auth.roles import PHONE_VISIBLE, Role, text_for
from ticketing.auth.service import Actor, Staff, audit, require
from ticketing.context import Ctx
from ticketing.database import DbSession, utcnow
from ticketing.errors import NotFound
from ticketing.idempotent import reported_once
from ticketing.orders.models import OrderCall, WorkOrder
from ticketing.recordings.files import BadRange, Retention, byte_range, describe, read_range
from ticketing.recordings.models import Recording
from ticketing.recordings.schemas import RecordingIn, RecordingOut, TranscriptIn
from ticketing.recordings.text import as_text, takes_transcript_of

router = APIRouter(prefix="/recordings", tags=["recordings 录音"])
Reporter = Annotated[Actor, require(Role.acd)]
Transcriber = Annotated[Actor, require(Role.asr)]
CallId = Annotated[str, "call id"]
LEGS = {"mixed": "mixed_file", "citizen": "citizen_file", "agent": "agent_file"}


def _dir(ctx: Ctx) -> Path:
    return Path(ctx.settings.recordings_dir)


def _order_ids(db_session: Session, call_id: str) -> list[int]:
    return list(db_session.scalars(select(OrderCall.order_id).where(OrderCall.call_id == call_id)
                                   .order_by(OrderCall.order_id)))  # fmt: skip


def _out(db_session: Session, item: Recording, role: Role) -> RecordingOut:
    """What this role may see: the transcript with numbers masked for roles
    that do not call citizens; the filled draft only for those who do."""
    legs = [leg for leg, column in LEGS.items() if getattr(item, column)]
    fields = {k: getattr(item, k) for k in RecordingOut.model_fields
              if k not in ("legs", "order_ids", "draft", "transcript")}  # fmt: skip
    transcript = [{**u, "text": text_for(role, u["text"]),
                   "words": u["words"] if role in PHONE_VISIBLE else []}
                  for u in item.transcript or []]  # fmt: skip
    said = "。".join(u["text"] for u in item.transcript or [] if u["speaker"] == "市民")
    draft = asdict(fill(said)) if said and role in PHONE_VISIBLE else None
    return RecordingOut(legs=legs, order_ids=_order_ids(db_session, item.call_id), draft=draft,
                        transcript=transcript if item.transcript is not None else None,
                        **fields)  # fmt: skip


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RecordingOut,
             responses={200: {"description": "already reported (same call_id)"}})  # fmt: skip
def report(body: RecordingIn, response: Response, db_session: DbSession, actor: Reporter,
           ctx: Ctx) -> RecordingOut:  # fmt: skip
    """The ACD reports a recorded call that has ended; idempotent per call.
    The file's size, checksum and length are read here, once."""

    def make() -> Recording:
        facts = describe(_dir(ctx) / body.mixed_file)
        item = Recording(**body.model_dump())
        if facts is None or facts.duration_s == 0:  # no file, or a header only
            item.status, item.note = "missing", "没有录音内容 (无人接听, 或通话中没有声音)"
        else:
            item.size_bytes, item.sha256, item.duration_s = (
                facts.size_bytes, facts.sha256, facts.duration_s,
            )  # fmt: skip
        if body.kind == "sos":  # no job comes: said so, not left pending
            item.asr_status, item.asr_note = "skipped", "一键呼叫的三方会议录音只有混音, 不做转写"
        elif not body.seat:
            item.asr_status, item.asr_note = "skipped", "无人接听, 没有可转写的通话"
        db_session.add(item)
        return item

    query = select(Recording).where(Recording.call_id == body.call_id)
    return _out(db_session, reported_once(db_session, query, make, response), actor.role)


@router.put("/{call_id}/transcript", response_model=RecordingOut)
def transcribed(call_id: CallId, body: TranscriptIn, db_session: DbSession,
                actor: Transcriber) -> RecordingOut:  # fmt: skip
    """A worker stores the transcript (again: the same result replaces it), or
    that the recording could not be decoded and why. The work orders the call
    fed show it at once (their call's transcript)."""
    item = db_session.scalars(select(Recording).where(Recording.call_id == call_id)
                              .with_for_update()).first()  # fmt: skip
    if item is None:
        raise NotFound(f"录音不存在: {call_id}")
    if body.failed:
        item.asr_status, item.asr_note, item.transcript = "failed", body.failed, None
    else:
        item.asr_status, item.asr_note = "done", ""
        item.transcript = [u.model_dump() for u in body.utterances]
        for call in db_session.scalars(select(OrderCall).where(takes_transcript_of(item))):
            call.transcript = as_text(item.transcript)
    audit(db_session, actor, "transcribe", f"recording:{call_id}", item.asr_status)
    db_session.flush()
    return _out(db_session, item, actor.role)


def _visible(db_session: Session, actor: Actor):
    """The recordings this user may hear, as a WHERE clause (None: all)."""
    if actor.role in (Role.shift_lead, Role.admin):
        return None
    if actor.role == Role.agent:
        user = db_session.get(User, actor.id) if actor.id else None
        return Recording.seat == (user.seat if user and user.seat else "-")
    if actor.role == Role.unit_handler and actor.unit_id is not None:
        owned = (select(OrderCall.call_id).join(WorkOrder, WorkOrder.id == OrderCall.order_id)
                 .where(WorkOrder.unit_id == actor.unit_id))  # fmt: skip
        return Recording.call_id.in_(owned)
    return Recording.id == -1


def _one(db_session: Session, actor: Actor, call_id: str) -> Recording:
    query = select(Recording).where(Recording.call_id == call_id)
    scope = _visible(db_session, actor)
    if scope is not None:
        query = query.where(scope)
    item = db_session.scalars(query).first()
    if item is None:  # not there, or not this user's to hear: the same answer
        raise NotFound(f"录音不存在: {call_id}")
    return item


@router.get("", response_model=list[RecordingOut])
def recordings(db_session: DbSession, actor: Staff,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[RecordingOut]:  # fmt: skip
    """Recent recordings this user may hear, newest first."""
    query = select(Recording).order_by(Recording.id.desc()).limit(limit)
    scope = _visible(db_session, actor)
    if scope is not None:
        query = query.where(scope)
    found = [_out(db_session, r, actor.role) for r in db_session.scalars(query)]
    audit(db_session, actor, "list", "recordings", f"n={len(found)}")
    return found


@router.get("/{call_id}", response_model=RecordingOut)
def recording(call_id: CallId, db_session: DbSession, actor: Staff) -> RecordingOut:
    item = _one(db_session, actor, call_id)
    audit(db_session, actor, "read", f"recording:{call_id}"[:64])
    return _out(db_session, item, actor.role)


@router.get("/{call_id}/audio", response_class=StreamingResponse,
            responses={206: {"description": "the requested byte range"},
                       416: {"description": "range not satisfiable"}})  # fmt: skip
def audio(call_id: CallId, db_session: DbSession, actor: Staff, ctx: Ctx,
          leg: Annotated[str, Query(pattern="^(mixed|citizen|agent)$")] = "mixed",
          range_: Annotated[str | None, Header(alias="Range")] = None) -> Response:  # fmt: skip
    """The recording as audio/wav, seekable (HTTP Range) for the browser's
    <audio>. Every request is a listen in the audit log."""
    item = _one(db_session, actor, call_id)
    name = getattr(item, LEGS[leg])
    path = _dir(ctx) / name if name and item.status == "recorded" else None
    if path is None or not path.is_file():
        raise NotFound(f"录音文件不存在: {call_id} ({leg})")
    size = path.stat().st_size
    try:
        span = byte_range(range_, size)
    except BadRange:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    audit(db_session, actor, "listen", f"recording:{call_id}", leg)
    db_session.commit()  # the listen is on record before a byte leaves
    start, end = span if span is not None else (0, size - 1)
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(read_range(path, start, end), status_code=206 if span else 200,
                             media_type="audio/wav", headers=headers)  # fmt: skip


def purge_expired(db_session: Session, directory: Path, retention: Retention) -> int:
    """Delete the files of recordings past their retention (days per queue,
    SOS longest); the row stays, marked purged. Returns how many."""
    now, purged = utcnow(), 0
    rows = db_session.scalars(select(Recording).where(Recording.status == "recorded"))
    for item in rows:
        ended = item.ended_at or item.created_at
        if not retention.expired(item.kind, item.queue, ended, now):
            continue
        for column in LEGS.values():
            name = getattr(item, column)
            if name:
                (directory / name).unlink(missing_ok=True)
        item.status, item.purged_at = "purged", now
        audit(db_session, None, "purge", f"recording:{item.call_id}",
              f"kept {retention.keep_days(item.kind, item.queue)} days")  # fmt: skip
        purged += 1
    return purged
