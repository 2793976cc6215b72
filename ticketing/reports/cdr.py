"""Asterisk's call detail records (cdr_csv's Master.csv) in the reports: every
call the switch saw, also one that never reached the front end or a queue
(a caller who hung up before the answer, a number that is no hotline).

Read by the same ingester as the queue_log, with the same cursor (file
inode and offset moved in the line's transaction) and the same natural key
(SHA-1 of the line): a line is stored once, whatever restarts. Why the CSV
file and not cdr_pgsql: the CSV costs the call nothing when the database is
slow or down; the PostgreSQL backend writes from Asterisk's CDR thread and
loses what it cannot write. Why CDR and not CEL: the reports count calls
and legs, which CDR gives a line each; CEL's dozens of events a call would
only be read to rebuild the same thing.

Master.csv's columns (cdr.conf: loguniqueid, loguserfield): accountcode,
src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start,
answer, end, duration, billsec, disposition, amaflags, uniqueid, userfield.
The caller's number (src, clid) is not kept."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ticketing.reports.models import CallRecord

COLUMNS = 18
DISPOSITIONS = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"}
LEGS = (("PJSIP/citizen-trunk-", "citizen"), ("PJSIP/partner-trunk-", "partner"),
        ("PJSIP/agent", "seat"), ("Local/", "local"))  # fmt: skip
FORMULAS = {
    "inbound_calls": "呼入量 = 话单 (CDR) 中经市民中继呼入的来电, 按通话 ID 去重; 含一键呼叫, "
    "含未进入队列、未到语音导航即挂断的",
    "inbound_answered": "交换机应答量 = 其中交换机已应答的来电 (进入语音导航或队列)",
    "inbound_unanswered": "应答前挂断量 = 呼入量 − 交换机应答量 (振铃中挂断、失败、拨错号码)",
    "inbound_sos": "一键呼叫量 = 呼入一键呼叫号码或由登记的一键呼叫终端呼入的来电",
    "inbound_other": "非热线呼入 = 呼入的号码不是热线号码 (被拒绝)",
}


def _time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def leg_of(channel: str) -> str:
    return next((leg for prefix, leg in LEGS if channel.startswith(prefix)), "other")


@dataclass(frozen=True)
class Record:
    key: str
    row: dict


def parse(raw: bytes) -> Record | None:
    """One Master.csv line as the row to store; None for anything else (a
    truncated or garbled line, a time that is none)."""
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
        fields = next(csv.reader([text], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    if len(fields) < COLUMNS or fields[14] not in DISPOSITIONS:
        return None
    started, ended = _time(fields[9]), _time(fields[11])
    answered = _time(fields[10]) if fields[10] else None
    if started is None or ended is None or (fields[10] and answered is None):
        return None
    if not fields[12].isdigit() or not fields[13].isdigit() or not 0 < len(fields[16]) <= 64:
        return None
    leg = leg_of(fields[5])
    hotline = fields[17].strip()  # the dialplan's CDR(userfield): what was dialled
    return Record(hashlib.sha1(text.encode()).hexdigest(), {
        "call_id": fields[16], "leg": leg, "hotline": hotline[:24], "context": fields[3][:80],
        "last_app": fields[7][:32], "disposition": fields[14], "started_at": started,
        "answered_at": answered, "ended_at": ended, "duration_s": min(int(fields[12]), 2**31 - 1),
        "billsec_s": min(int(fields[13]), 2**31 - 1),
    })  # fmt: skip


def store(db_session: Session, records: list[Record]) -> set[str]:
    """INSERT ... ON CONFLICT (key) DO NOTHING RETURNING key: the new keys."""
    if not records:
        return set()
    postgres = db_session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    rows = [{"key": r.key, **r.row} for r in records]
    new: set[str] = set()
    for start in range(0, len(rows), 500):  # 13 parameters a row
        statement = insert(CallRecord).values(rows[start : start + 500])  # type: ignore[operator]
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
        new |= set(db_session.scalars(statement.returning(CallRecord.key)))
    return new


def inbound_figures(db_session: Session, start: dt.datetime, end: dt.datetime,
                    hotline: str | None = None) -> dict:  # fmt: skip
    """The calls the citizen trunk brought in [start, end) (by their legs'
    start), each counted once however many CDRs its leg has. The dialplan
    marks the leg's CDR(userfield): the hotline dialled, `sos:<number>` for
    an SOS call, `refused:<number>` for a number that is no hotline. Counted
    by the database: a month is tens of thousands of calls."""
    r = CallRecord
    calls = (
        select(func.max(r.hotline).label("told"),
               func.max(case((r.disposition == "ANSWERED", 1), else_=0)).label("answered"))
        .where(r.leg == "citizen", r.started_at >= start, r.started_at < end)
        .group_by(r.call_id).subquery()
    )  # fmt: skip
    told = calls.c.told
    number = case((told.like("sos:%"), func.substr(told, 5)),
                  (told.like("refused:%"), func.substr(told, 9)), else_=told)  # fmt: skip

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(func.count(), count(calls.c.answered == 1), count(told.like("sos:%")),
                   count(told.like("refused:%")))  # fmt: skip
    if hotline:
        query = query.where(number == hotline)
    n, answered, sos, refused = (int(v or 0) for v in db_session.execute(query).one())
    return {"inbound_calls": n, "inbound_answered": answered, "inbound_unanswered": n - answered,
            "inbound_sos": sos, "inbound_other": refused}  # fmt: skip
