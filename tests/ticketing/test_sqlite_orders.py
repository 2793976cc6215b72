"""The quick-start database (SQLite) creates and numbers work orders the way
PostgreSQL does: its own two-statement path of the day's counter (the
PostgreSQL path is one statement), the related-request links, the event log
and the audit entry."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.ticketing.conftest import ADMIN_PASSWORD, PASSWORD
from ticketing.app import create_app
from ticketing.bootstrap import migrate, seed
from ticketing.database import make_engine
from ticketing.settings import TicketingSettings


def test_orders_on_sqlite_are_numbered_linked_logged_and_audited(tmp_path):
    url = f"sqlite:///{tmp_path}/tickets.db"
    settings = TicketingSettings(database_url=url, YHT_TICKETING_ADMIN_PASSWORD=ADMIN_PASSWORD,
                                 YHT_CALLER_HASH_KEY="sqlite-key", scan_interval_s=0)  # fmt: skip
    migrate(url)
    engine = make_engine(url)
    seed(engine, settings)
    body = {"channel": "phone", "type": "complaint", "subject_code": "heating",
            "content": "暖气不热",
            "caller": {"phone": "13800138000", "address": "幸福路12号"}}  # fmt: skip
    try:
        with TestClient(create_app(settings, engine, scan_in_background=False)) as client:
            admin = client.post("/auth/token",
                                json={"username": "admin", "password": ADMIN_PASSWORD})  # fmt: skip
            headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
            client.post("/users", headers=headers, json={
                "username": "agent", "display_name": "a", "role": "agent", "password": PASSWORD,
            }).raise_for_status()  # fmt: skip
            token = client.post("/auth/token", json={"username": "agent", "password": PASSWORD})
            agent = {"Authorization": f"Bearer {token.json()['access_token']}"}
            first = client.post("/orders", headers=agent, json=body)
            second = client.post("/orders", headers=agent, json=body)
            assert first.status_code == second.status_code == 201, second.text
            first, second = first.json(), second.json()
            assert first["number"].endswith("-000001") and second["number"].endswith("-000002")
            assert first["number"][:8] == second["number"][:8]
            assert {(r["order_id"], r["reason"]) for r in second["related"]} == {
                (first["id"], "same_caller"), (first["id"], "same_address")}  # fmt: skip
            again = client.get(f"/orders/{second['id']}", headers=agent).json()
            assert again["number"] == second["number"] and again["related"] == second["related"]
        with engine.connect() as conn:
            events = conn.execute(sa.text("SELECT order_id, action FROM order_events")).all()
            assert sorted(events) == [(first["id"], "intake"), (second["id"], "intake")]
            audits = conn.execute(sa.text(
                "SELECT target FROM audit_log WHERE action = 'create' AND target LIKE 'order:%'"
            )).scalars().all()  # fmt: skip
            assert sorted(audits) == sorted([f"order:{first['id']}", f"order:{second['id']}"])
    finally:
        engine.dispose()
