"""PostgreSQL away (restarting, unreachable): every request that needs it
answers 503 with Retry-After and a reason, not a 500 with a traceback, and
answers again as soon as the database is back (the seventh and eighth days
restart PostgreSQL mid-day; docs/day.md)."""

from __future__ import annotations

import socket

from fastapi.testclient import TestClient

from ticketing.app import create_app
from ticketing.database import make_engine

from .conftest import ADMIN_PASSWORD


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free again when the probe closes: nobody listens


def test_a_request_while_the_database_is_away_answers_503_and_retry_after(settings, caplog):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/yht_test"
    app = create_app(settings, make_engine(url, connect_timeout_s=1), scan_in_background=False)
    client = TestClient(app, raise_server_exceptions=False)
    token = client.post("/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
    orders = client.get("/orders", headers={"Authorization": "Bearer not-cached-token-0123"})
    for answer in (token, orders):
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "1"
        assert answer.json() == {"detail": "数据库暂时不可用, 请稍后重试"}
    assert "database unavailable for GET /orders (OperationalError)" in caplog.text
