"""How long a caller waited, as the ACD decides it (acd/waits.py): from the
call's first queue entry across rejoins; Asterisk's HoldTime for a call
that never left the queue (issue 28 item 11)."""

from acd.waits import waited_s


def event(hold: str, at: str, queued_at: str | None) -> dict:
    chan = [f"YHT_QUEUED_AT={queued_at}"] if queued_at is not None else []
    return {"HoldTime": hold, "Timestamp": at, "ChanVariable": chan}


def test_a_call_that_never_left_the_queue_keeps_asterisks_hold_time():
    # entered at 100.95 (app_queue's start: second 100), gave up at 107.99
    assert waited_s(event("7", "107.99", "100.95")) == 7.0
    assert waited_s(event("7", "107.99", None)) == 7.0  # no mark: HoldTime


def test_a_caller_who_rejoined_is_timed_from_the_first_entry():
    # first entry at 100.2, a key at 127, back in the queue, answered at 137.4
    assert waited_s(event("10", "137.4", "100.2")) == 37.0
