"""How long a caller has waited, and whether a hang-up counts as missed:
decided here once, from the dialplan's marks on the call (YHT_QUEUED_AT,
YHT_MISSED_AFTER) and Asterisk's own event times."""

from __future__ import annotations

from typing import Any

from acd.core import call_context
from yht import channelvars as cv


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def waited_s(event: Any) -> float:
    """How long the caller has waited at this event: from the call's first
    queue entry (YHT_QUEUED_AT) to the event's own time, across every rejoin
    (a key pressed, an order looked up); app_queue's HoldTime, which counts
    from the latest entry only, when the call has no such mark."""
    first = number(call_context(event).get(cv.QUEUED_AT, ""))
    at = number(event.get("Timestamp", "") or "")
    if first is not None and at is not None:
        return max(at - first, 0.0)
    return float(event.get("HoldTime") or 0)


def before_missed_threshold(event: Any) -> bool:
    """A hotline caller who hangs up within YHT_MENU_MISSED_S of the answer
    (a misdial, a change of mind) is not a callback to make. The dialplan puts
    the moment on the call (YHT_MISSED_AFTER); Asterisk's event time decides."""
    after, at = call_context(event).get(cv.MISSED_AFTER, ""), event.get("Timestamp", "")
    try:
        return float(at) < float(after)
    except ValueError:
        return False  # no threshold on this call (a transfer, an older dialplan)
