"""The organisation tree cannot get a loop, and a loop already in the
database costs a walk its depth, not a worker for ever."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from testkit.waiting import wait_until
from tests.ticketing.conftest import Api


def _two_units(api: Api) -> tuple[int, int]:
    ids = []
    for _ in range(2):
        code = f"t-{uuid.uuid4().hex[:10]}"
        made = api.post("admin", "/units", json={"code": code, "name": code, "kind": "department"})
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids[0], ids[1]


def test_two_moves_at_once_cannot_make_a_loop(api: Api, engine):
    x, y = _two_units(api)
    with engine.connect() as other, ThreadPoolExecutor(1) as pool:
        # the other administrator's move, X under Y, checked and not yet committed
        other.execute(text("SELECT pg_advisory_xact_lock(2803)"))
        other.execute(text("UPDATE units SET parent_id = :y WHERE id = :x"), {"x": x, "y": y})
        mine = pool.submit(api.patch, "admin", f"/units/{y}", json={"parent_id": x})
        # mine waits for the other's transaction; let it wait a moment, then commit
        wait_until(lambda: _waiting_for_the_lock(engine), 10, "the move to wait for the lock")
        assert not mine.done()
        other.commit()
        answer = mine.result(timeout=20)
    assert answer.status_code == 422, answer.text
    assert "自己的下级" in answer.json()["detail"]


def _waiting_for_the_lock(engine) -> bool:
    with engine.connect() as conn:
        waiting = conn.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        )
    return bool(waiting)


def test_a_loop_written_by_hand_does_not_hang_the_reports_or_the_elders(api: Api, engine):
    x, y = _two_units(api)
    with engine.begin() as conn:
        conn.execute(text("UPDATE units SET parent_id = :y WHERE id = :x"), {"x": x, "y": y})
        conn.execute(text("UPDATE units SET parent_id = :x WHERE id = :y"), {"x": x, "y": y})
    try:
        with ThreadPoolExecutor(1) as pool:
            topics = pool.submit(api.get, "leader", "/reports/topics", params={"day": "2026-12-01"})
            assert topics.result(timeout=30).status_code == 200
            rates = pool.submit(
                api.get,
                "leader",
                "/reports/orders",
                params={"start": "2026-12-01", "end": "2026-12-02", "by": "area"},
            )
            assert rates.result(timeout=30).status_code == 200
        # and a move into the loop is refused, not walked for ever
        moved = api.patch("admin", f"/units/{x}", json={"parent_id": y})
        assert moved.status_code == 422
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE units SET parent_id = NULL WHERE id IN (:x, :y)"), {"x": x, "y": y}
            )
