"""What an agent's page shows when the phone rings: who calls, what the voice
menu learned, the caller's previous work orders and a draft work order."""

from __future__ import annotations

from typing import Any

from yht import channelvars as cv

# IVR category -> (work-order type, subject) the draft starts from
DRAFTS = {
    "carmove": ("help", "traffic.carmove"),
    "order_progress": ("consultation", None),
    "dialect": ("help", None),
    "general": ("help", None),
    # the emergency order itself is made automatically; a draft is for more
    "sos": ("help", "elderly.sos"),
}


def draft_order(context: dict[str, str], call_id: str) -> dict[str, Any]:
    order_type, subject = DRAFTS.get(context.get(cv.CATEGORY, ""), ("help", None))
    content = ""
    if context.get(cv.ORDER_NO):
        number = context[cv.ORDER_NO]
        content = f"来电查询工单 {number[:8]}-{number[8:]} 的办理进度。"
    return {
        "channel": "phone",
        "type": order_type,
        "subject_code": subject,
        "content": content,
        "caller": {"phone": context.get(cv.CALLER) or None},
        "call": {"call_id": call_id},
    }


def screen_pop(offer: dict[str, Any], history: list[dict] | None) -> dict[str, Any]:
    context = offer.get("context", {})
    return {
        "type": "screen_pop",
        "call_id": offer.get("call_id", ""),
        "queue": offer.get("queue", ""),
        "caller": context.get(cv.CALLER, ""),
        "hotline": context.get(cv.HOTLINE, ""),
        "category": context.get(cv.CATEGORY, ""),
        "priority": int(context.get(cv.PRIORITY) or 0),
        "sos": context.get(cv.CATEGORY) == "sos",
        "ivr_path": context.get(cv.IVR_PATH, ""),
        "repeat_caller": context.get(cv.REPEAT_CALLER) == "1",
        "order_number": context.get(cv.ORDER_NO, ""),
        # None: the work-order service did not answer (the pop is not held back for it)
        "history": history,
        "draft": draft_order(context, offer.get("call_id", "")),
        "offered_at": offer.get("at"),
    }
