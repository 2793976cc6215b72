"""The 三率 counted by the database (ticketing/reports/rates.py: LAG over each
order's events, grouped by unit and subject or address) hold what a plain
walk over the events in time order gives, on PostgreSQL and on the
quick-start SQLite: generated orders dispatched, reassigned, accepted late,
early or twice, around the edges of the period, closed in time or not, called
back with every verdict."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import sqlalchemy as sa

from tests.ticketing.conftest import Api
from ticketing.callbacks.models import CallbackTask
from ticketing.database import session_factory
from ticketing.orders.models import OrderEvent, WorkOrder
from ticketing.orgs.models import Unit
from ticketing.reports.rates import three_rates

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = START + dt.timedelta(days=3)
HOURS = 24.0


def generated(units: list[int], seed_: int) -> tuple[list[dict], list[dict], list[dict]]:
    rng = random.Random(seed_)
    orders, events, callbacks = [], [], []
    for n in range(1, 301):
        at = START + dt.timedelta(hours=rng.uniform(-30, 100))
        unit = rng.choice(units)
        due = at + dt.timedelta(hours=rng.uniform(1, 60))
        closed = rng.choice([None, at + dt.timedelta(hours=rng.uniform(1, 80))])
        orders.append({
            "id": n, "number": f"T-{seed_}-{n}", "channel": "phone", "type": "help",
            "subject_code": rng.choice(["heating", "water", None]), "content": "x",
            "address": rng.choice(["东城街道幸福社区1号", "西城街道", None]),
            "state": rng.choice(["closed", "dispatched", "merged"]), "unit_id": unit,
            "created_at": at, "updated_at": at, "due_at": due, "closed_at": closed,
        })  # fmt: skip
        for _ in range(rng.randrange(4)):
            at += dt.timedelta(hours=rng.expovariate(1 / 20))
            action = rng.choice(["dispatch", "reassign", "accept", "accept"])
            unit = rng.choice(units) if action != "accept" else unit
            events.append({"order_id": n, "at": at, "action": action, "to_state": "x",
                           "unit_id": unit})  # fmt: skip
        if rng.random() < 0.5:
            callbacks.append({"order_id": n, "unit_id": unit, "status": "done",
                              "verdict": rng.choice(["satisfied", "basic", "unsatisfied", None]),
                              "created_at": at, "done_at": at + dt.timedelta(hours=2)})  # fmt: skip
    return orders, events, callbacks


def by_walking(orders, events, callbacks) -> dict[int | None, list[int]]:
    """Per unit: dispatched, accepted in time, due, closed in time, evaluated, satisfied."""
    out: dict[int | None, list[int]] = defaultdict(lambda: [0] * 6)
    waiting: dict[int, tuple[int, dt.datetime]] = {}
    limit = dt.timedelta(hours=HOURS)
    for e in sorted(events, key=lambda e: e["at"]):
        if e["action"] in ("dispatch", "reassign"):
            if START <= e["at"] < END:
                waiting[e["order_id"]] = (e["unit_id"], e["at"])
                out[e["unit_id"]][0] += 1
        elif e["order_id"] in waiting and START <= e["at"] < END + limit:
            unit, sent = waiting.pop(e["order_id"])
            out[unit][1] += e["at"] - sent <= limit
        elif START <= e["at"] < END + limit:
            waiting.pop(e["order_id"], None)
    for o in orders:
        if START <= o["due_at"] < END and o["state"] != "merged":
            out[o["unit_id"]][2] += 1
            out[o["unit_id"]][3] += bool(o["closed_at"] and o["closed_at"] <= o["due_at"])
    for c in callbacks:
        if c["verdict"] and START <= c["done_at"] < END:
            out[c["unit_id"]][4] += 1
            out[c["unit_id"]][5] += c["verdict"] in ("satisfied", "basic")
    return out


def check(engine: sa.Engine, seed_: int) -> None:
    sessions = session_factory(engine)
    with sessions() as db_session:
        units = {u.id: u.name for u in db_session.scalars(sa.select(Unit))}
    orders, events, callbacks = generated(sorted(units), seed_)
    with engine.begin() as conn:
        conn.execute(sa.insert(WorkOrder.__table__), orders)
        conn.execute(sa.insert(OrderEvent.__table__), events)
        conn.execute(sa.insert(CallbackTask.__table__), callbacks)
    expected = by_walking(orders, events, callbacks)
    with sessions() as db_session:
        counted = three_rates(db_session, START, END, "unit", HOURS)
        by_subject = three_rates(db_session, START, END, "subject", HOURS)
        one = three_rates(db_session, START, END, "unit", HOURS, unit_id=sorted(units)[1])
    fields = ("dispatched", "accepted_in_time", "due", "closed_in_time", "evaluated", "satisfied")
    rows = {r["key"]: r for r in counted["rows"]}
    for unit, name in units.items():
        assert [rows[name][f] for f in fields] == expected[unit], name
    assert sum(expected[u][0] for u in units) > 20 and sum(expected[u][1] for u in units) > 5
    assert by_subject["total"] == counted["total"]  # the same events, keyed otherwise
    assert {r["key"] for r in by_subject["rows"]} <= {"供暖", "供水", "未分类"}
    assert [r["key"] for r in one["rows"]] == [units[sorted(units)[1]]]


def test_the_database_counts_what_walking_the_events_gives_on_postgresql(api: Api, engine):
    check(engine, 1)


def test_the_database_counts_what_walking_the_events_gives_on_sqlite(sqlite_db):
    check(sqlite_db[1], 2)
