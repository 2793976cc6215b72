"""Found by the day (issue 15): a call answered before an ACD restart and
ended after it had its recording reported without a seat, so no
transcription job was queued and the recording stayed pending. The seat now
comes from the caller's own hang-up event (app_queue's MEMBERNAME)."""

from __future__ import annotations

from acd.recordings import _member_of


def test_the_seat_that_answered_is_read_off_the_callers_hangup():
    assert _member_of({"ChanVariable": ["MEMBERNAME=agent1002", "YHT_CALL_ID=1.1"]}) == "1002"
    assert _member_of({"ChanVariable": "MEMBERNAME=agent1004"}) == "1004"
    assert _member_of({"ChanVariable": ["MEMBERNAME=", "YHT_CALL_ID=1.1"]}) == ""  # unanswered
    assert _member_of({}) == ""
