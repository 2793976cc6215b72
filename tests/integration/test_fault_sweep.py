"""One fault at a time on a stack of its own, with calls through the real
Asterisk: kill -9 of the FastAGI server, the ACD, the bridge and the
work-order service, a restart of the live-state Redis (which keeps nothing)
and of PostgreSQL. After each, the test only starts again what it killed:
every abandoned call reaches /missed-calls, the SOS call gets its emergency
order and timeline, and the seat map shows the true state, its time in state
and call start kept, within 5 s of the service coming back. How long each
recovery took is printed (docs/benchmarks.md (j))."""

from __future__ import annotations

import asyncio
import os
import time
from types import SimpleNamespace

import httpx
import pytest
import redis

from testkit.ami import chan_vars, channel_at
from testkit.services import PostgresServer, RedisServer, ServiceProcess
from testkit.sipp import place_call
from testkit.waiting import free_tcp_port, until
from tests.conftest import TicketingService
from tests.integration.test_call_path import is_caller, new_caller
from tests.integration.test_desk import open_page
from tests.integration.test_hardening import new_events_from

pytestmark = pytest.mark.integration
SEAT = "1003"


@pytest.fixture
def sweep(pbx, live_desk, test_env, tmp_path):
    """Work-order service on its own PostgreSQL, ACD and bridge on a live
    Redis that keeps nothing; the suite's own ACD and bridge step aside (two
    ACDs on one Asterisk would both act on every event)."""
    live_desk["bridge"].stop()
    live_desk["acd"].stop()
    pg = PostgresServer()
    live = RedisServer(tmp_path / "live", persistent=False)
    outbox = RedisServer(tmp_path / "outbox")
    started: list = []
    try:
        pg.start()
        database = pg.create_database("yht_faults")
        live.start()
        outbox.start()
        ports = {k: free_tcp_port() for k in ("ticketing", "acd", "bridge")}
        env = {**os.environ, **test_env, "YHT_TICKETING_PORT": str(ports["ticketing"]),
               "YHT_TICKETING_DESK_ORIGINS": f"http://127.0.0.1:{ports['bridge']}"}  # fmt: skip
        ticketing = TicketingService(env, tmp_path)
        ticketing.env["YHT_TICKETING_DATABASE_URL"] = database
        ticketing.start()
        started.append(ticketing)
        desk = {**env, "YHT_ACD_REDIS_URL": live.url, "YHT_BRIDGE_REDIS_URL": live.url,
                "YHT_ACD_REDIS_PREFIX": "yht:sweep", "YHT_BRIDGE_ACD_PREFIX": "yht:sweep",
                "YHT_ACD_HTTP_PORT": str(ports["acd"]), "YHT_ACD_WRAPUP_SECONDS": "1",
                "YHT_ACD_STAFFING_INTERVAL_S": "1", "YHT_ACD_SOS_SYNC_INTERVAL_S": "1",
                "YHT_BRIDGE_ACD_URL": f"http://127.0.0.1:{ports['acd']}",
                "YHT_BRIDGE_PORT": str(ports["bridge"]), "YHT_ACD_TICKETING_URL": ticketing.base,
                "YHT_BRIDGE_TICKETING_URL": ticketing.base, "YHT_BRIDGE_RECHECK_INTERVAL_S": "1",
                "YHT_ACD_OUTBOX_REDIS_URL": outbox.url}  # fmt: skip
        acd = ServiceProcess("acd", desk, tmp_path / "acd.log",
                             f"http://127.0.0.1:{ports['acd']}/health")  # fmt: skip
        bridge = ServiceProcess("softphone_bridge", desk, tmp_path / "bridge.log",
                                f"127.0.0.1:{ports['bridge']}")  # fmt: skip
        acd.start()
        started.append(acd)
        bridge.start()
        started.append(bridge)
        yield SimpleNamespace(pg=pg, live=live, ticketing=ticketing, acd=acd, bridge=bridge,
                              ws=f"ws://127.0.0.1:{ports['bridge']}/",
                              health=f"http://127.0.0.1:{ports['acd']}/health")  # fmt: skip
    finally:
        for service in reversed(started):
            service.stop()
        outbox.stop()
        live.stop()
        pg.remove()
        live_desk["acd"].start()
        live_desk["bridge"].start()


async def board_shows(sweep, lead, expected: dict, timeout: float = 5.0) -> float:
    """Open the shift lead's seat map until its snapshot shows the seat as
    `expected` (state, since, call_since); returns the seconds it took."""
    started = time.monotonic()

    async def true_state() -> bool:
        try:
            board = await open_page(sweep.ws, lead)
        except OSError:
            return False
        try:
            snapshot = await board.expect(lambda m: m["type"] == "snapshot", timeout=2)
            seat = next((s for s in snapshot["seats"] if s["agent_id"] == SEAT), {})
            return all(seat.get(k) == v for k, v in expected.items())
        finally:
            await board.ws.close()

    await until(true_state, timeout, f"the seat map to show {expected}")
    return time.monotonic() - started


def missed_callers(sweep) -> set[str]:
    try:
        response = httpx.get(f"{sweep.ticketing.base}/missed-calls",
                             headers=sweep.ticketing.agent, timeout=2)  # fmt: skip
    except httpx.HTTPError:
        return set()
    return {m["caller"] for m in response.json()} if response.status_code == 200 else set()


def sos_record(sweep, lead, call_id: str) -> dict | None:
    try:
        response = httpx.get(f"{sweep.ticketing.base}/sos-calls/{call_id}", headers=lead,
                             timeout=2)  # fmt: skip
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


async def test_one_fault_at_a_time_the_stack_recovers_by_itself(
    pbx, agi_server, sweep, seat_phones, center, ami, workdir
):
    seat_phones(SEAT)
    center()  # 120, should the SOS call escalate
    agent = sweep.ticketing.user("desk1003", "agent", seat=SEAT)
    lead = sweep.ticketing.user("lead1", "shift_lead")
    page = await open_page(sweep.ws, agent)
    recovery: dict[str, float] = {}
    abandoned: list[str] = []
    calls = []
    try:
        await page.send(type="login", ref="in")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "ready")
        await page.send(type="pause", reason="meeting", ref="p")
        await page.expect(lambda m: m["type"] == "seat" and m["state"] == "paused")

        # 1. FastAGI, kill -9 while a caller keys an order number
        keying, start = new_caller(), len(ami.events)
        calls.append(place_call(pbx.settings.sip_port, "12345", keying, workdir, hold_ms=8000,
                                dtmf="1"))  # fmt: skip
        await channel_at(pbx, keying, lambda c: c["context"] == "yht-queue-key"
                         and c["application"] == "AGI")  # fmt: skip
        killed_at = time.time()
        agi_server.kill()
        back = await new_events_from(
            ami, start, "QueueCallerJoin",
            lambda e: is_caller(keying)(e) and chan_vars(e)["YHT_IVR_PATH"].endswith("ivr-down"),
        )  # fmt: skip
        recovery["FastAGI kill -9: the caller keying an order back in the queue"] = (
            float(back["Timestamp"]) - killed_at
        )
        restarted = time.monotonic()
        agi_server.start()
        recovery["FastAGI: restart to serving"] = time.monotonic() - restarted
        # the seat is still on its break: the caller gives up in the queue
        await ami.wait_for("QueueCallerAbandon", is_caller(keying), timeout=30)
        abandoned.append(keying)

        # 2. the ACD, kill -9 while the seat talks
        await page.send(type="ready", ref="r")
        talker = new_caller()
        calls.append(place_call(pbx.settings.sip_port, "12345", talker, workdir, hold_ms=40000))
        talking = await page.expect(lambda m: m["type"] == "seat" and m["state"] == "talking")
        truth = {k: talking[k] for k in ("state", "since", "call_since")}
        sweep.acd.kill()
        restarted = time.monotonic()
        sweep.acd.start()  # returns once /health answers 200 (AMI up, resynced)
        recovery["ACD kill -9: restart to healthy"] = time.monotonic() - restarted
        recovery["ACD: healthy to a true seat map"] = await board_shows(sweep, lead, truth)
        board = await open_page(sweep.ws, lead)
        staffing = await board.expect(lambda m: m["type"] == "staffing", timeout=5)
        assert staffing["open"] == 1  # the talking seat counts: no false staffing alarm
        await board.ws.close()

        # 3. the bridge, kill -9
        sweep.bridge.kill()
        restarted = time.monotonic()
        sweep.bridge.start()
        recovery["bridge kill -9: restart to listening"] = time.monotonic() - restarted
        recovery["bridge: listening to a true seat map"] = await board_shows(sweep, lead, truth)

        # 4. the live-state Redis restarts empty (nothing on disk)
        sweep.live.kill()
        restarted = time.monotonic()
        sweep.live.start()
        recovery["live Redis restart: to a true seat map"] = await board_shows(sweep, lead, truth)
        live = redis.Redis.from_url(sweep.live.url, socket_timeout=2)
        try:
            await until(lambda: live.hget(f"yht:sweep:seat:{SEAT}", "state") == b"talking", 5,
                        "the seat written back into the emptied Redis")  # fmt: skip
        finally:
            live.close()
        recovery["live Redis: restart to the picture written back"] = time.monotonic() - restarted

        # 5. the work-order service, kill -9; a caller gives up meanwhile
        sweep.ticketing.kill()
        waiter = new_caller()
        calls.append(place_call(pbx.settings.sip_port, "12345", waiter, workdir, hold_ms=5000))
        await ami.wait_for("QueueCallerAbandon", is_caller(waiter), timeout=30)
        abandoned.append(waiter)
        restarted = time.monotonic()
        sweep.ticketing.restart()
        await until(lambda: waiter in missed_callers(sweep), 30, "the missed call delivered")
        recovery["work-order service kill -9: restart to the missed call delivered"] = (
            time.monotonic() - restarted
        )

        # 6. PostgreSQL restarts; an SOS call comes in while it is down
        sweep.pg.stop()
        elder, start = new_caller(), len(ami.events)
        calls.append(place_call(pbx.settings.sip_port, "12349", elder, workdir, hold_ms=3000))
        joined = await new_events_from(ami, start, "QueueCallerJoin", is_caller(elder))
        await new_events_from(ami, start, "UserEvent", lambda e: e.get("UserEvent") == "YhtSosEnd"
                              and e.get("CallId") == joined["Uniqueid"])  # fmt: skip
        restarted = time.monotonic()
        sweep.pg.start()
        await until(lambda: (sos_record(sweep, lead, joined["Uniqueid"]) or {}).get("order_number"),
                    40, "the SOS call's emergency order")  # fmt: skip
        recovery["PostgreSQL restart: to the SOS call's emergency order"] = (
            time.monotonic() - restarted
        )
        record = sos_record(sweep, lead, joined["Uniqueid"])
        assert record is not None
        kinds = [s["kind"] for s in record["timeline"]]
        await until(lambda: "ended" in [s["kind"] for s in
                                        (sos_record(sweep, lead, joined["Uniqueid"]) or
                                         {"timeline": []})["timeline"]],
                    20, "the SOS call's end on its timeline")  # fmt: skip
        assert kinds[0] == "start"

        # afterwards: every caller who gave up is a callback to make, and no
        # process needed a restart the test did not do
        for call in calls:
            await call.finished(60)
        await until(lambda: set(abandoned) <= missed_callers(sweep), 30, "every missed call")

        # healthy by itself (a live-Redis round that timed out under load
        # shows as unhealthy until the next round, half a second later)
        def healthy() -> bool:
            try:
                answer = httpx.get(sweep.health, timeout=5)
            except httpx.HTTPError:
                return False
            return answer.status_code == 200 and answer.json()["live_redis"] is True

        await until(lambda: asyncio.to_thread(healthy), 10, "the ACD healthy on its own")
    finally:
        for call in calls:
            call.stop()
        await page.ws.close()  # the bridge's kill -9 cut it; log out from a new page
        page = await open_page(sweep.ws, agent)
        await page.send(type="logout", ref="out")
        await page.expect(lambda m: m.get("ref") == "out")
        await page.ws.close()
    print("\nrecovery (seconds):")
    for what, seconds in recovery.items():
        print(f"  {what}: {seconds:.2f}")
