"""PostgreSQL away (restarting, unreachable): every request that needs it
answers 503 with Retry-After and a reason, not a 500 with a traceback, and
answers again as soon as the database is back (the seventh and eighth days
restart PostgreSQL mid-day; docs/day.md)."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import anyio
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from ticketing.app import create_app
from ticketing.database import make_engine

from .conftest import ADMIN_PASSWORD, DATABASE_URL


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


def test_more_requests_than_connections_wait_their_turn_instead_of_locking_up(settings, api):
    """Found by the eighth day: a request's session holds its connection
    across trips to the thread pool, so with more requests than connections
    the threads filled with requests waiting for a connection while those
    holding one waited for a thread (the service stopped for good after its
    PostgreSQL restart). Here: one connection, two threads, eight requests at
    once: each waits for a request slot on the event loop, and all answer."""
    engine = create_engine(DATABASE_URL, pool_size=1, max_overflow=0, pool_timeout=1)
    app = create_app(settings, engine, scan_in_background=False)
    headers = api.as_("lead")
    with TestClient(app, raise_server_exceptions=False) as client:
        client.portal.call(_two_threads)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.get("/orders", headers=headers), range(8)))
        waiting = client.get("/health").json()["requests_waiting"]
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert waiting == 0  # every waiter counted out again
    assert engine.pool.checkedout() == 0
    engine.dispose()


def _two_threads() -> None:
    anyio.to_thread.current_default_thread_limiter().total_tokens = 2
