"""The work-order service against a real PostgreSQL.

`make test` creates the database (YHT_TEST_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/yht_test). The schema is rebuilt
once per session through the Alembic migrations; each test starts from empty
work-order tables with the reference data and users in place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ticketing.app import create_app
from ticketing.bootstrap import migrate, seed
from ticketing.database import make_engine
from ticketing.settings import TicketingSettings

DATABASE_URL = os.environ.get(
    "YHT_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/yht_test"
)
ADMIN_PASSWORD = "admin-test-password"
PASSWORD = "test-password-123"
IVR_TOKEN = "ivr-test-token-0123456789"
WORK_TABLES = (
    "work_orders, order_units, order_events, order_links, order_calls, attachments, "
    "reassign_requests, intake_keys, daily_counters, supervisions, callback_tasks, "
    "kb_articles, audit_log, missed_calls, elders, elder_numbers, sos_calls, sos_events, "
    "recordings, queue_log_cursors, queue_log_lines, queue_calls, call_records"
)


@pytest.fixture(scope="session")
def settings() -> TicketingSettings:
    return TicketingSettings(
        database_url=DATABASE_URL,
        YHT_TICKETING_ADMIN_PASSWORD=ADMIN_PASSWORD,
        YHT_CALLER_HASH_KEY="test-caller-key",
        YHT_IVR_API_TOKEN=IVR_TOKEN,
        YHT_ACD_SERVICE_TOKEN="acd-test-token-0123456789",
        YHT_ASR_SERVICE_TOKEN="asr-test-token-0123456789",
        scan_interval_s=0,
        # every test logs in from the same test client; the throttles have tests of their own
        login_attempts_per_address="10000/minute",
    )


@pytest.fixture(scope="session")
def engine(settings) -> Iterator[Engine]:
    engine = make_engine(DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(DATABASE_URL)
    seed(engine, settings)
    yield engine
    engine.dispose()


@dataclass
class Api:
    """A TestClient and one logged-in token per test user."""

    client: TestClient
    tokens: dict[str, str]
    units: dict[str, int]

    def as_(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def post(self, user: str, url: str, **kw):
        return self.client.post(url, headers=self.as_(user), **kw)

    def get(self, user: str, url: str, **kw):
        return self.client.get(url, headers=self.as_(user), **kw)

    def patch(self, user: str, url: str, **kw):
        return self.client.patch(url, headers=self.as_(user), **kw)

    def new_order(self, user: str = "agent", **fields) -> dict:
        body = {
            "channel": "phone",
            "type": "complaint",
            "subject_code": "heating",
            "content": "小区暖气不热",
            "caller": {"phone": "13800138000", "address": "幸福路12号"},
        }
        body.update(fields)
        response = self.post(user, "/orders", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def step(self, user: str, order: dict, action: str, **fields) -> dict:
        body = {"action": action, "version": order["version"], **fields}
        response = self.post(user, f"/orders/{order['id']}/transitions", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def to_state(self, order: dict, state: str, unit: str = "dept-urban") -> dict:
        """Drive an order along the main path until it reaches `state`."""
        path = [
            ("agent", "register", {}),
            ("agent", "dispatch", {"unit_id": self.units[unit]}),
            (HANDLERS.get(unit, ""), "accept", {}),
            (HANDLERS.get(unit, ""), "feedback", {"note": "已处理"}),
            ("lead", "close", {}),
        ]
        order_of_states = ["intake", "case", "dispatched", "processing", "feedback", "closed"]
        start, stop = order_of_states.index(order["state"]), order_of_states.index(state)
        for user, action, extra in path[start:stop]:
            order = self.step(user, order, action, **extra)
        return order


HANDLERS = {
    "dept-urban": "urban",
    "dept-water": "water",
    "sp-anjia": "anjia",
    "sp-tongda": "tongda",
}
USERS = {
    "agent": ("agent", None),
    "agent2": ("agent", None),
    "lead": ("shift_lead", None),
    "leader": ("leader", None),
    "urban": ("unit_handler", "dept-urban"),
    "water": ("unit_handler", "dept-water"),
    "anjia": ("unit_handler", "sp-anjia"),
    "tongda": ("unit_handler", "sp-tongda"),
    "xingfu": ("unit_handler", "cm-xingfu"),
    "sms-gateway": ("gateway", None),
    "web-gateway": ("gateway", None),
}


@pytest.fixture(scope="session")
def app(settings, engine):
    return create_app(settings, engine, scan_in_background=False)


@pytest.fixture(scope="session")
def session_api(app) -> Iterator[Api]:
    with TestClient(app) as client:
        admin = client.post("/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
        headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        units = {u["code"]: u["id"] for u in client.get("/units", headers=headers).json()}
        tokens = {"admin": admin.json()["access_token"]}
        for name, (role, unit) in USERS.items():
            client.post(
                "/users",
                headers=headers,
                json={
                    "username": name,
                    "display_name": name,
                    "role": role,
                    "unit_id": units[unit] if unit else None,
                    "password": PASSWORD,
                },
            )
            login = client.post("/auth/token", json={"username": name, "password": PASSWORD})
            tokens[name] = login.json()["access_token"]
        yield Api(client, tokens, units)


@pytest.fixture
def api(session_api, engine) -> Api:
    with engine.begin() as conn:
        # the logs refuse TRUNCATE by trigger; only a superuser (the test
        # database's owner here, never the service's role) can step around it
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {WORK_TABLES} RESTART IDENTITY CASCADE"))
        conn.execute(
            text(
                "UPDATE units SET verdicts_satisfied = 0, verdicts_basic = 0, "
                "verdicts_unsatisfied = 0"
            )
        )
    return session_api


@pytest.fixture
def sqlite_db(tmp_path) -> Iterator[tuple[TicketingSettings, Engine]]:
    """The quick-start database: a migrated and seeded SQLite file, with the
    test settings' caller key (the same hashes as on PostgreSQL)."""
    url = f"sqlite:///{tmp_path}/tickets.db"
    lite = TicketingSettings(database_url=url, YHT_TICKETING_ADMIN_PASSWORD=ADMIN_PASSWORD,
                             YHT_CALLER_HASH_KEY="test-caller-key", scan_interval_s=0)  # fmt: skip
    migrate(url)
    lite_engine = make_engine(url)
    seed(lite_engine, lite)
    yield lite, lite_engine
    lite_engine.dispose()
