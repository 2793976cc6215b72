"""The hotline's own queue_log lines (written by its dialplan, not by
app_queue): IVRHANGUP, a call that ended in the voice menu, and YHTMISSED,
a caller who left unanswered (extensions.d/20-hotline.conf)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ticketing.missed.models import MissedCall
from ticketing.reports.models import QueueCall
from yht.phones import canonical

if TYPE_CHECKING:
    from ticketing.reports.ingest import Entry

log = logging.getLogger("ticketing.reports")


def number(fields: list[str], index: int) -> float | None:
    try:
        return float(fields[index])
    except (IndexError, ValueError):
        return None


def menu_hangup(db_session: Session, entry: Entry) -> None:
    """A call that ended out of the queue (written by the hotline's h
    extension: hotline|waited|path|caller): a stay of its own, outcome `menu`, at
    the moment of the hang-up (the call's queue stay, if it had one, began
    in the same second as its answer)."""
    hotline = entry.data[0] if entry.data and entry.data[0].isdigit() else ""
    waited = max(number(entry.data, 1) or 0.0, 0.0)
    db_session.add(QueueCall(call_id=entry.call_id, queue=entry.queue, hotline=hotline[:16],
                             entered_at=entry.at, outcome="menu", wait_s=waited, agent="",
                             ended_at=entry.at))  # fmt: skip


MISSED_REASONS = ("abandoned", "no_agent", "menu")


def missed_call(db_session: Session, entry: Entry) -> None:
    """A caller who left unanswered, as the dialplan wrote it when the call
    ended (YHTMISSED reason|hotline|caller|waited, extensions.d/20-hotline.conf):
    the callback task, unless the ACD reported the call first (one per call
    id, as POST /missed-calls). The record that holds when the ACD missed the
    call: down, restarting, or disconnected by Asterisk as a slow reader."""
    reason = entry.data[0] if entry.data else ""
    if reason not in MISSED_REASONS:
        log.warning("queue_log YHTMISSED of call %s: unknown reason %r, skipped",
                    entry.call_id, reason[:16])  # fmt: skip
        return
    hotline = entry.data[1] if len(entry.data) > 1 and entry.data[1].isdigit() else ""
    caller = canonical(entry.data[2]) if len(entry.data) > 2 and entry.data[2] else None
    waited = max(int(number(entry.data, 3) or 0), 0)
    postgres = db_session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if postgres else sqlite.insert
    db_session.execute(
        insert(MissedCall)
        .values(call_id=entry.call_id, caller_phone=caller, hotline=hotline[:16],
                queue=entry.queue, waited_s=min(waited, 86_400), reason=reason,
                status="pending", note="", created_at=entry.at)
        .on_conflict_do_nothing(index_elements=["call_id"])
    )  # fmt: skip
