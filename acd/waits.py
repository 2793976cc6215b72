"""How long a caller has waited, and whether a hang-up counts as missed:
decided here once, from the dialplan's marks on the call (YHT_QUEUED_AT,
YHT_MISSED_AFTER) and Asterisk's own event times."""

from __future__ import annotations

import math
from typing import Any

from acd.core import call_context
from yht import channelvars as cv


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def waited_s(event: Any) -> float:
    """How long the caller has waited at this event, in whole seconds: from
    the call's first queue entry (YHT_QUEUED_AT) to the event's own time,
    across every rejoin (a key pressed, an order looked up). app_queue's
    HoldTime counts from the latest entry only, in whole seconds of the
    clock: for a call that never left the queue it is the same wait (at
    most a second more, by the rounding), and that figure is kept, as the
    reports keep it (ticketing/reports/stays.py)."""
    hold = float(event.get("HoldTime") or 0)
    first = number(call_context(event).get(cv.QUEUED_AT, ""))
    at = number(event.get("Timestamp", "") or "")
    if first is None or at is None:
        return hold
    return max(hold, float(math.floor(max(at - first, 0.0))))


def before_missed_threshold(event: Any) -> bool:
    """A hotline caller who hangs up within YHT_MENU_MISSED_S of the answer
    (a misdial, a change of mind) is not a callback to make. The dialplan puts
    the moment on the call (YHT_MISSED_AFTER); Asterisk's event time decides."""
    after, at = call_context(event).get(cv.MISSED_AFTER, ""), event.get("Timestamp", "")
    try:
        return float(at) < float(after)
    except ValueError:
        return False  # no threshold on this call (a transfer, an older dialplan)
