"""Creating a work order stores the same rows on both databases: PostgreSQL
in one statement (ticketing/orders/create_pg.py), the quick-start SQLite
statement by statement — the order and its number, the intake event, the
related-request links, the call with its transcript and the audit entry; and
what the create answers is what a later read finds (the new order is made
persistent without being read back)."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.ticketing.conftest import ADMIN_PASSWORD, PASSWORD
from ticketing.app import create_app

HEATING = {"channel": "phone", "type": "complaint", "subject_code": "heating",
           "content": "暖气不热",
           "caller": {"phone": "13800138000", "address": "幸福家园小区东门3号楼"}}  # fmt: skip
BODIES = [
    HEATING,
    HEATING,  # the same caller and address: linked to the first
    # the same subject next door, from another caller, with its call and transcript
    {**HEATING,
     "caller": {"phone": "13900139000", "address": "幸福家园小区东门5号楼", "name": "张"},
     "call": {"call_id": "1767000000.42", "recording": "r/42.wav", "transcript": "暖气不热"}},
    # a walk-in with neither number nor address: nothing to look up
    {"channel": "walk_in", "type": "consultation", "content": "咨询公积金", "urgency": "urgent"},
]  # fmt: skip


def store(client: TestClient, agent: dict) -> list[dict]:
    """Create BODIES in turn; each answer equals the order read back."""
    made = []
    for body in BODIES:
        response = client.post("/orders", headers=agent, json=body)
        assert response.status_code == 201, response.text
        answer = response.json()
        again = client.get(f"/orders/{answer['id']}", headers=agent).json()
        assert again == answer
        made.append(answer)
    return made


def rows(engine: sa.Engine, made: list[dict]) -> dict:
    """What the creates stored, with ids as positions in `made` and times
    as offsets from their order's creation (which must be 0)."""
    place = {order["id"]: i for i, order in enumerate(made)}
    with engine.connect() as conn:
        orders = conn.execute(sa.text(
            "SELECT id, number, channel, type, subject_code, urgency, content, caller_phone,"
            " caller_key, caller_name, address, address_key, state, unit_id, created_by,"
            " created_at, updated_at, due_at, closed_at, verdict, reopen_count, merged_into_id,"
            " version FROM work_orders ORDER BY id")).mappings().all()  # fmt: skip
        created = {o["id"]: _utc(o["created_at"]) for o in orders}

        def same_time(order_id: int, at) -> bool:
            return _utc(at) == created[order_id]

        events = conn.execute(sa.text(
            "SELECT order_id, at, actor_id, action, from_state, to_state, unit_id, note"
            " FROM order_events")).all()  # fmt: skip
        links = conn.execute(sa.text(
            "SELECT order_id, related_id, reason, created_at FROM order_links")).all()  # fmt: skip
        calls = conn.execute(sa.text(
            "SELECT order_id, call_id, recording, transcript FROM order_calls")).all()  # fmt: skip
        audits = conn.execute(sa.text(
            "SELECT at, user_id, action, target, detail FROM audit_log"
            " WHERE target LIKE 'order:%'")).all()  # fmt: skip
    assert all(same_time(e.order_id, e.at) for e in events)
    assert all(same_time(link.order_id, link.created_at) for link in links)
    assert all(_utc(o["updated_at"]) == created[o["id"]] for o in orders)
    return {
        "orders": [
            {
                **{
                    k: v
                    for k, v in o.items()
                    if k not in ("id", "created_at", "updated_at", "due_at", "created_by", "number")
                },
                # the limit counts working time: later creates may end it elsewhere
                "due_later": _utc(o["due_at"]) > created[o["id"]],
                "number": re.sub(r"^\d{8}-", "", o["number"]),
            }
            for o in orders
        ],
        "events": sorted(
            (place[e.order_id], e.action, e.from_state, e.to_state, e.unit_id, e.note)
            for e in events
        ),
        "links": sorted((place[x.order_id], place[x.related_id], x.reason) for x in links),
        "calls": sorted((place[c.order_id], c.call_id, c.recording, c.transcript) for c in calls),
        "audits": sorted((a.action, place[int(a.target.split(":")[1])], a.detail) for a in audits),
    }


def _utc(at: dt.datetime | str) -> dt.datetime:
    if isinstance(at, str):  # SQLite keeps text
        at = dt.datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def test_a_create_stores_the_same_rows_on_postgresql_and_sqlite(api, engine, sqlite_db):
    # PostgreSQL: the service of the other tests
    on_pg = store(api.client, api.as_("agent"))
    pg_rows = rows(engine, on_pg)
    # SQLite, the quick-start default, with the same caller key
    lite, lite_engine = sqlite_db
    with TestClient(create_app(lite, lite_engine, scan_in_background=False)) as client:
        admin = client.post("/auth/token",
                            json={"username": "admin", "password": ADMIN_PASSWORD})  # fmt: skip
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        client.post("/users", headers=headers, json={
            "username": "agent", "display_name": "a", "role": "agent", "password": PASSWORD,
        }).raise_for_status()  # fmt: skip
        token = client.post("/auth/token", json={"username": "agent", "password": PASSWORD})
        on_lite = store(client, {"Authorization": f"Bearer {token.json()['access_token']}"})
    lite_rows = rows(lite_engine, on_lite)
    assert lite_rows == pg_rows
    # and what both stored is what the bodies asked for
    assert [o["number"] for o in pg_rows["orders"]] == ["000001", "000002", "000003", "000004"]
    assert pg_rows["links"] == [(1, 0, "same_address"), (1, 0, "same_caller"),
                                (2, 0, "same_subject"), (2, 1, "same_subject")]  # fmt: skip
    assert pg_rows["calls"] == [(2, "1767000000.42", "r/42.wav", "暖气不热")]
    assert pg_rows["events"] == [(i, "intake", None, "intake", None, BODIES[i]["channel"])
                                 for i in range(4)]  # fmt: skip
    # each order audited once as created (and as read by store())
    assert [a for a in pg_rows["audits"] if a[0] == "create"] == [
        ("create", i, "") for i in range(4)
    ]
    assert [o["version"] for o in pg_rows["orders"]] == [1, 1, 1, 1]
    first = {"order_id": on_pg[0]["id"], "number": on_pg[0]["number"]}
    assert on_pg[1]["related"] == [{**first, "reason": r} for r in ("same_address", "same_caller")]
