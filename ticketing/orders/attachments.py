"""HTTP routes of a work order's attachments: photos from a unit handler's
phone, documents from the desk; stored in the database with their hash."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from ticketing.auth.roles import Role
from ticketing.auth.service import Actor, Staff, audit, require
from ticketing.database import DbSession
from ticketing.errors import Invalid, NotFound
from ticketing.orders import service
from ticketing.orders.models import Attachment
from ticketing.orders.schemas import AttachmentOut
from ticketing.types import PathId

router = APIRouter(prefix="/orders", tags=["work orders 工单"])
# who adds files: the center and the units working the order (leaders and
# administrators read orders, they do not add to them)
Attachers = Annotated[Actor, require(Role.agent, Role.shift_lead, Role.unit_handler)]
MAX_ATTACHMENT = 5 * 1024 * 1024


@router.post(
    "/{order_id}/attachments",
    status_code=201,
    response_model=AttachmentOut,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "required": True,
        }
    },
)
async def add_attachment(
    order_id: PathId,
    request: Request,
    db_session: DbSession,
    actor: Attachers,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
) -> AttachmentOut:
    """The raw file as the body; `filename` as a query parameter."""
    service.get_order(db_session=db_session, order_id=order_id, actor=actor)
    if filename.strip(". ") == "" or any(c in filename for c in "/\\:"):
        raise Invalid("filename: 文件名不能含路径 (/ \\ :) 或只由点组成")
    data = await request.body()
    if not data:
        raise Invalid("body: 附件为空")
    if len(data) > MAX_ATTACHMENT:
        raise Invalid(f"body: 附件超过 {MAX_ATTACHMENT // 1024 // 1024} MB")
    item = Attachment(
        order_id=order_id,
        filename=filename,
        size=len(data),
        data=data,
        content_type=request.headers.get("content-type", "application/octet-stream")[:100],
        sha256=hashlib.sha256(data).hexdigest(),
    )
    db_session.add(item)
    db_session.flush()
    audit(db_session, actor, "attach", f"order:{order_id}", filename)
    return AttachmentOut.model_validate(item, from_attributes=True)


@router.get("/{order_id}/attachments", response_model=list[AttachmentOut])
def attachments(order_id: PathId, db_session: DbSession, actor: Staff) -> list[AttachmentOut]:
    service.get_order(db_session=db_session, order_id=order_id, actor=actor)
    rows = db_session.scalars(select(Attachment).where(Attachment.order_id == order_id))
    audit(db_session, actor, "read_attachments", f"order:{order_id}")
    return [AttachmentOut.model_validate(a, from_attributes=True) for a in rows]


@router.get("/{order_id}/attachments/{attachment_id}", response_class=Response)
def attachment(order_id: PathId, attachment_id: PathId, db_session: DbSession,
               actor: Staff) -> Response:  # fmt: skip
    """One attachment's file, for whoever may see the order."""
    service.get_order(db_session=db_session, order_id=order_id, actor=actor)
    item = db_session.get(Attachment, attachment_id)
    if item is None or item.order_id != order_id:
        raise NotFound(f"附件不存在: {attachment_id}")
    audit(db_session, actor, "read_attachment", f"order:{order_id}", str(attachment_id))
    return Response(item.data, media_type=item.content_type,
                    headers={"Content-Disposition": "attachment"})  # fmt: skip
