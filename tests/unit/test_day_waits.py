"""The day's waits from Asterisk's event times (bench/day/waits.py): each
queue stay paired with how it ended, and the 15-second rate in the day's
compressed seconds."""

from __future__ import annotations

from bench.day.waits import figures, stays


def test_each_stay_ends_with_its_own_connect_abandon_or_next_join():
    events = [
        ("a", "QueueCallerJoin", "hotline", 100.0),
        ("a", "AgentCalled", "hotline", 100.05),
        ("a", "AgentConnect", "hotline", 100.25),
        ("b", "QueueCallerJoin", "hotline", 101.0),
        ("b", "QueueCallerAbandon", "hotline", 101.05),
        ("c", "QueueCallerJoin", "hotline", 102.0),  # left with a key, came back
        ("c", "QueueCallerJoin", "dialect", 103.0),
        ("c", "AgentConnect", "dialect", 104.0),
        ("s", "QueueCallerJoin", "sos", 105.0),
        ("s", "AgentConnect", "sos", 105.1),
        ("x", "AgentConnect", "hotline", 99.0),  # joined before the recording began
    ]
    found = stays(events)
    assert [(s.queue, s.outcome, round(s.wait_s, 2)) for s in found] == [
        ("hotline", "answered", 0.25), ("hotline", "abandoned", 0.05),
        # c's wait is counted from its first join, across the rejoin (issue 28: 11)
        ("hotline", "other", 1.0), ("dialect", "answered", 2.0),
    ]  # fmt: skip
    assert round(found[0].ring_s, 2) == 0.2 and found[3].ring_s is None


def test_the_rate_counts_the_days_seconds_and_leaves_out_short_abandons():
    events = [
        ("a", "QueueCallerJoin", "hotline", 0.0), ("a", "AgentConnect", "hotline", 0.3),
        ("b", "QueueCallerJoin", "hotline", 0.0), ("b", "AgentConnect", "hotline", 0.32),
        ("c", "QueueCallerJoin", "hotline", 0.0), ("c", "QueueCallerAbandon", "hotline", 0.1),
        ("d", "QueueCallerJoin", "hotline", 0.0), ("d", "QueueCallerAbandon", "hotline", 2.0),
        # left with a key after 0.2 s, answered 0.1 s later in the queue it
        # chose: in time from its first join; f left after 3 s: late however
        # soon the second queue answered (issue 28: 11)
        ("e", "QueueCallerJoin", "hotline", 0.0), ("e", "QueueCallerJoin", "dialect", 0.2),
        ("e", "AgentConnect", "dialect", 0.3),
        ("f", "QueueCallerJoin", "hotline", 0.0), ("f", "QueueCallerJoin", "dialect", 3.0),
        ("f", "AgentConnect", "dialect", 3.1),
    ]  # fmt: skip
    result = figures(stays(events), compress=48)  # 15 s of the day: 0.3125 s
    assert result["offered"] == 8 and result["answered"] == 4
    assert result["short_abandoned"] == 1  # 0.1 s is 4.8 s of the day: short
    assert result["left_with_a_key"] == 2  # stays, not calls: each call is counted once
    assert result["answered_in_target"] == 2  # a, e; b waited 0.32 s; f 3.1 s
    assert result["rate_in_target"] == 2 / 5


def test_a_late_answer_is_told_apart_by_what_kept_the_caller_waiting():
    events = [
        # no seat free: the first seat is rung only after the target
        ("q", "QueueCallerJoin", "hotline", 0.0), ("q", "AgentCalled", "hotline", 1.0),
        ("q", "AgentConnect", "hotline", 1.05),
        # rung at once, did not answer; a second seat did, late
        ("r", "QueueCallerJoin", "hotline", 0.0), ("r", "AgentCalled", "hotline", 0.01),
        ("r", "AgentCalled", "hotline", 0.9), ("r", "AgentConnect", "hotline", 0.95),
        # rung at once, the seat's phone answered late
        ("s", "QueueCallerJoin", "hotline", 0.0), ("s", "AgentCalled", "hotline", 0.01),
        ("s", "AgentConnect", "hotline", 0.8),
        ("t", "QueueCallerJoin", "hotline", 0.0), ("t", "AgentCalled", "hotline", 0.01),
        ("t", "AgentConnect", "hotline", 0.1),  # in time
    ]  # fmt: skip
    found = stays(events)
    assert [s.rung for s in found] == [1, 2, 1, 1]
    assert round(found[1].ring_s, 2) == 0.05  # the answering seat's own ringing
    result = figures(found, compress=48)
    assert result["answered_in_target"] == 1
    assert result["late"] == {
        "no_seat_free": 1, "first_seat_did_not_answer": 1, "seat_answered_late": 1,
    }  # fmt: skip


def test_the_cdr_tells_a_lost_call_asterisk_saw_from_one_it_never_did(tmp_path):
    from bench.day.account import cdr_calls

    master = tmp_path / "Master.csv"
    master.write_text(
        '"","13900000001","s","yht-hotline",""""" <13900000001>","PJSIP/citizen-trunk-1","",'
        '"AGI","agi://127.0.0.1/ivr_entry","2026-11-27 07:10:18","","2026-11-27 07:10:19",'
        '1,0,"NO ANSWER","DOCUMENTATION","1795763418.1",""\n'
        '"","","13700002446","yht-sos-put",""""" <>","Local/x","","NoOp","",'
        '"2026-11-27 06:52:51","2026-11-27 06:52:51","2026-11-27 06:52:51",0,0,"ANSWERED",'
        '"DOCUMENTATION","1795762371.2",""\n'
        "truncated,line\n",
        encoding="utf-8",
    )
    seen = cdr_calls(master)
    assert seen == {"13900000001": "AGI/NO ANSWER"}  # the caller, not the Local leg
    assert cdr_calls(tmp_path / "missing.csv") == {}
