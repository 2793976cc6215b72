"""A call's stays in the queues, built from its queue_log lines as the
ingester (ingest.py) takes them, in file order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.reports.hotline_lines import menu_hangup, missed_call, number
from ticketing.reports.models import QueueCall

if TYPE_CHECKING:
    from ticketing.reports.ingest import Entry

ENDS = {"ABANDON": "abandoned", "EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "timeout",
        "EXITWITHKEY": "key"}  # fmt: skip
COMPLETE = ("COMPLETECALLER", "COMPLETEAGENT", "TRANSFER")


def open_stay(db_session: Session, entry: Entry,
               stays: dict[tuple[str, str], QueueCall]) -> QueueCall | None:  # fmt: skip
    """The call's latest stay in this queue: from this batch, else the database."""
    if (entry.call_id, entry.queue) in stays:
        return stays[(entry.call_id, entry.queue)]
    db_session.flush()
    return db_session.scalars(
        select(QueueCall).where(QueueCall.call_id == entry.call_id,
                                QueueCall.queue == entry.queue)
        .order_by(QueueCall.entered_at.desc(), QueueCall.id.desc()).limit(1)
    ).first()  # fmt: skip


def apply(db_session: Session, entry: Entry,
          stays: dict[tuple[str, str], QueueCall] | None = None) -> None:  # fmt: skip
    """One event onto the call's stay in its queue (queue_log's fields:
    ENTERQUEUE url|callerid|position; CONNECT holdtime|bridged|ringtime;
    ABANDON / EXITWITHTIMEOUT / EXITEMPTY position|origposition|waittime;
    EXITWITHKEY key|position|origposition|waittime; IVRHANGUP (ours)
    hotline|waited|path|caller; YHTMISSED (ours) reason|hotline|caller|waited;
    COMPLETECALLER /
    COMPLETEAGENT holdtime|calltime|origposition; TRANSFER
    extension|context|holdtime|calltime|origposition)."""
    stays = {} if stays is None else stays
    if entry.event == "ENTERQUEUE":
        again = open_stay(db_session, entry, stays)
        if again is not None and again.entered_at == entry.at:
            # back in the same second (a key pressed, then the queue again):
            # the stay goes on; a second row would break its natural key and,
            # refused, would stop the ingestion at this line for good
            again.outcome, again.ended_at = "waiting", None
            stays[(entry.call_id, entry.queue)] = again
            return
        hotline = entry.data[0] if entry.data and entry.data[0].isdigit() else ""
        entered = QueueCall(call_id=entry.call_id, queue=entry.queue, hotline=hotline[:16],
                            entered_at=entry.at, outcome="waiting", agent="")  # fmt: skip
        db_session.add(entered)
        stays[(entry.call_id, entry.queue)] = entered
        return
    if entry.event == "IVRHANGUP":
        menu_hangup(db_session, entry)
        return
    if entry.event == "YHTMISSED":
        missed_call(db_session, entry)
        return
    if entry.event not in ENDS and entry.event != "CONNECT" and entry.event not in COMPLETE:
        return  # stored; not part of a call's stay (pauses, members, ring-no-answer)
    stay = open_stay(db_session, entry, stays)
    if stay is None:
        return  # its ENTERQUEUE was before this file began: the line is kept, the stay not
    if entry.event == "CONNECT":
        stay.outcome, stay.agent, stay.connected_at = "answered", entry.agent, entry.at
        stay.wait_s = _from_first_entry(db_session, stay, number(entry.data, 0))
    elif entry.event in ENDS and stay.outcome == "waiting":
        stay.outcome, stay.ended_at = ENDS[entry.event], entry.at
        waited = number(entry.data, 3 if entry.event == "EXITWITHKEY" else 2)
        stay.wait_s = _from_first_entry(db_session, stay, waited)
    elif entry.event in COMPLETE:
        stay.talk_s = number(entry.data, 3 if entry.event == "TRANSFER" else 1)
        stay.ended_at = entry.at


def _from_first_entry(db_session: Session, stay: QueueCall, waited: float | None) -> float | None:
    """The caller's wait from the call's first queue entry, across every
    rejoin (issue 28 item 11): app_queue's own waittime of this stay plus the
    time from the call's first stay's entry to this one's. A call that never
    rejoined keeps Asterisk's figure as it is."""
    if waited is None:
        return None
    db_session.flush()
    first = db_session.scalar(
        select(func.min(QueueCall.entered_at)).where(QueueCall.call_id == stay.call_id,
                                                     QueueCall.outcome != "menu")
    )  # fmt: skip
    if first is None or first >= stay.entered_at:
        return waited
    return waited + (stay.entered_at - first).total_seconds()
