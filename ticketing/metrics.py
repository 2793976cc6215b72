"""/metrics of the work-order service, read from its own tables when scraped
(so they hold across restarts and across several service processes):
work-order transitions, orders by state, missed calls and callbacks waiting,
transcription jobs by state, and the queue_log ingestion's counts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.callbacks.models import CallbackTask
from ticketing.missed.models import MissedCall
from ticketing.orders.models import OrderEvent, WorkOrder
from ticketing.recordings.models import Recording
from ticketing.reports.models import QueueLogCursor


def figures(db_session: Session) -> dict:
    def grouped(column, model, where=None) -> list:  # type: ignore[no-untyped-def]
        query = select(column, func.count()).select_from(model).group_by(column)
        if where is not None:
            query = query.where(where)
        return list(db_session.execute(query).all())

    cursors = list(db_session.scalars(select(QueueLogCursor)))
    return {
        "yht_order_transitions": ("counter", "work-order transitions, per action",
                                  [({"action": a}, float(n)) for a, n in
                                   grouped(OrderEvent.action, OrderEvent)]),
        "yht_orders": ("gauge", "work orders per state",
                       [({"state": s}, float(n)) for s, n in grouped(WorkOrder.state, WorkOrder)]),
        "yht_missed_calls_pending": ("gauge", "missed calls not yet called back",
                                     [({}, float(sum(n for _, n in grouped(
                                         MissedCall.status, MissedCall,
                                         MissedCall.status == "pending"))))]),
        "yht_callbacks_pending": ("gauge", "callbacks (回访) not yet made",
                                  [({}, float(sum(n for _, n in grouped(
                                      CallbackTask.status, CallbackTask,
                                      CallbackTask.status == "pending"))))]),
        "yht_transcriptions": ("gauge", "recordings per transcription state",
                               [({"state": s}, float(n)) for s, n in
                                grouped(Recording.asr_status, Recording)]),
        "yht_queue_log_lines": ("counter", "queue_log lines taken, per file",
                                [({"file": c.source}, float(c.taken)) for c in cursors]),
        "yht_queue_log_malformed": ("counter", "queue_log lines skipped as malformed",
                                    [({"file": c.source}, float(c.malformed)) for c in cursors]),
        "yht_queue_log_duplicates": ("counter", "queue_log lines seen twice",
                                     [({"file": c.source}, float(c.duplicates))
                                      for c in cursors]),
        "yht_queue_log_rejected": ("counter", "queue_log lines whose effect the database refused",
                                   [({"file": c.source}, float(c.rejected)) for c in cursors]),
    }  # fmt: skip
