"""The ACD's own account of itself: /health and /metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yht.metrics import supervised

if TYPE_CHECKING:
    from acd.runner import AcdRunner


async def health(runner: AcdRunner) -> dict:
    """What /health answers: AMI, the live Redis, the loops, the outbox, the event backlog."""
    backlog = await runner.backlog()
    return {
        "ok": bool(runner.manager.ami_up)
        and runner.supervisor.healthy()
        and runner.redis_up
        and not runner.resync_failing,
        "ami": bool(runner.manager.ami_up),
        "live_redis": runner.redis_up,
        # live writes Redis did not take (each time, the picture is written back)
        "live_writes_lost": runner.acd.store.lost_writes,
        "resyncs": runner.resyncs,
        # a resync failed and is being tried again: the seat map may be stale
        "resync_failing": runner.resync_failing,
        "tasks": runner.supervisor.health(),
        "backlog": backlog,
        "outbox_lost": runner.outbox.lost,
        "events_dropped": runner.events_dropped,
        # AMI events read but not yet handled (bounded: event_queue_size)
        "events_waiting": runner.events_waiting(),
        # deliveries to the work-order service wait while events back up
        "deliveries_paused": not runner.caught_up(),
    }


async def metrics(runner: AcdRunner) -> dict:
    """What /metrics reports (yht.metrics): queues, seats, deliveries."""
    backlog = await runner.backlog()
    queues = list(runner.acd.queues.values())
    states: dict[str, int] = {}
    for seat in runner.acd.seats.values():
        states[str(seat.state)] = states.get(str(seat.state), 0) + 1

    def per_queue(field: str) -> list:
        return [({"queue": q.name}, float(getattr(q, field))) for q in queues]

    return {
        **supervised("acd", runner.supervisor),
        "yht_acd_ami_up": ("gauge", "1 while the AMI session is up",
                           [({}, float(bool(runner.manager.ami_up)))]),
        "yht_queue_waiting": ("gauge", "callers waiting in the queue", per_queue("waiting")),
        "yht_queue_answered": ("counter", "calls answered since the ACD started",
                               per_queue("answered")),
        "yht_queue_answered_in_target": ("counter", "answered within the service level (15 s)",
                                         per_queue("answered_in_target")),
        "yht_queue_abandoned": ("counter", "callers who gave up waiting",
                                per_queue("abandoned")),
        "yht_seats": ("gauge", "seats per state",
                      [({"state": k}, float(v)) for k, v in states.items()]),
        "yht_delivery_backlog": ("gauge", "items not yet delivered, per kind",
                                 [({"kind": k}, float(v)) for k, v in backlog.items()]),
        "yht_acd_live_writes_lost": ("counter", "live-state writes Redis did not take"
                                     " (the picture is written back)",
                                     [({}, float(runner.acd.store.lost_writes))]),
        "yht_acd_events_dropped": ("counter", "AMI events dropped (queue full)",
                                   [({}, float(runner.events_dropped))]),
        "yht_acd_events_waiting": ("gauge", "AMI events read, not yet handled",
                                   [({}, float(runner.events_waiting()))]),
    }  # fmt: skip
