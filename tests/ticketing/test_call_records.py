"""Asterisk's call detail records in the reports (issue 13): Master.csv read
by the same ingester as the queue_log, each line once, bad lines skipped and
counted, no caller's number kept; every call the switch took counted, also
one that never reached the front end, once however many legs it had."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.ticketing.conftest import Api
from ticketing.reports import cdr
from ticketing.reports.ingest import ingest
from ticketing.reports.models import CallRecord, QueueLogCursor

DAY = {"start": "2026-11-26", "end": "2026-11-27", "group": "hour"}


def record(call_id: str, channel: str, disposition: str, userfield: str, at: str = "08:00:00",
           answered: bool = True, src: str = "13800000001") -> str:  # fmt: skip
    """One Master.csv line as cdr_csv writes it (GMT times; the day is 2026-11-26 Beijing)."""
    start = f"2026-11-26 {at}"
    answer = start if answered else ""
    fields = ["", src, "s", "yht-hotline", f'"" <{src}>', channel, "", "Queue", "hotline",
              start, answer, start, "30", "20" if answered else "0", disposition,
              "DOCUMENTATION", call_id, userfield]  # fmt: skip
    quoted = [f if f.isdigit() and i in (12, 13) else '"' + f.replace('"', '""') + '"'
              for i, f in enumerate(fields)]  # fmt: skip
    return ",".join(quoted) + "\n"


LINES = [
    # an answered hotline call: its citizen leg has two CDRs (a transfer forks it)
    record("1795.1", "PJSIP/citizen-trunk-00000001", "ANSWERED", "12345"),
    record("1795.1", "PJSIP/citizen-trunk-00000001", "ANSWERED", "12345", at="08:01:00"),
    # its seat leg: not a call of its own
    record("1795.2", "PJSIP/agent1001-00000002", "ANSWERED", ""),
    # hung up while ringing, before the front end answered
    record("1795.3", "PJSIP/citizen-trunk-00000003", "NO ANSWER", "96010", answered=False),
    # an SOS call, and a number that is no hotline (refused)
    record("1795.4", "PJSIP/citizen-trunk-00000004", "ANSWERED", "sos:96110"),
    record("1795.5", "PJSIP/citizen-trunk-00000005", "FAILED", "refused:10086", answered=False),
    # 120 on the partner trunk, and a Local channel
    record("1795.6", "PJSIP/partner-trunk-00000006", "ANSWERED", ""),
    record("1795.7", "Local/1001@yht-agents-0000;1", "ANSWERED", ""),
    # another day (Beijing 2026-11-27 00:30): not in this report
    record("1795.8", "PJSIP/citizen-trunk-00000008", "ANSWERED", "12345", at="16:30:00"),
]


def test_a_cdr_line_is_parsed_without_the_callers_number():
    parsed = cdr.parse(LINES[0].encode())
    assert parsed is not None and parsed.row["call_id"] == "1795.1"
    assert parsed.row["leg"] == "citizen" and parsed.row["hotline"] == "12345"
    assert parsed.row["started_at"] == dt.datetime(2026, 11, 26, 8, tzinfo=dt.UTC)
    assert "13800000001" not in repr(parsed.row)
    channels = ("PJSIP/partner-trunk-1", "PJSIP/agent1001-2", "Local/x", "Console/dsp")
    assert [cdr.leg_of(c) for c in channels] == ["partner", "seat", "local", "other"]


def test_a_bad_cdr_line_is_skipped():
    good = LINES[0]
    for bad in (good[: len(good) // 2] + "\n",  # truncated
                good.replace("ANSWERED", "MAYBE"),  # no disposition Asterisk writes
                good.replace("2026-11-26 08:00:00", "yesterday"),  # no time
                good.replace('"1795.1"', '""'),  # no uniqueid
                good.replace(',30,', ',-3,'),  # a duration that is none
                '"unterminated,\n', "\xff\xfe garbage\n"):  # fmt: skip
        assert cdr.parse(bad.encode("utf-8", "surrogateescape")) is None, bad


def test_records_are_taken_once_and_counted_per_call(api: Api, app, tmp_path):
    master = tmp_path / "Master.csv"
    master.write_text("".join(LINES[:4]) + "not,a,cdr\n" + LINES[0])
    taken = ingest(app.state.sessions, [master])
    assert (taken.lines, taken.malformed, taken.duplicates) == (4, 1, 1)
    with master.open("a") as handle:  # Asterisk appends; a half-written line waits
        handle.write("".join(LINES[4:]) + LINES[0][:20])
    taken = ingest(app.state.sessions, [master])
    assert (taken.lines, taken.malformed, taken.duplicates) == (5, 0, 0)
    # read again from the start (the cursor lost): nothing twice
    with app.state.sessions.begin() as db_session:
        db_session.get(QueueLogCursor, str(master)).offset = 0
    taken = ingest(app.state.sessions, [master])
    assert (taken.lines, taken.duplicates) == (0, 10)
    with app.state.sessions() as db_session:
        assert len(db_session.scalars(select(CallRecord)).all()) == 9
    inbound = api.get("leader", "/reports/calls", params=DAY).json()["inbound"]
    assert inbound == {"inbound_calls": 4, "inbound_answered": 2, "inbound_unanswered": 2,
                       "inbound_sos": 1, "inbound_other": 1}  # fmt: skip
    one = api.get("leader", "/reports/calls", params={**DAY, "hotline": "96010"}).json()
    assert one["inbound"]["inbound_calls"] == 1 and one["inbound"]["inbound_unanswered"] == 1
    body = api.get("leader", "/reports/calls", params=DAY).json()
    assert "按通话 ID 去重" in body["formulas"]["inbound_calls"]
    assert any(line.startswith("交换机共收到呼入 4 通") for line in body["summary"])
