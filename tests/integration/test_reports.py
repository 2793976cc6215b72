"""The center's numbers from a real Asterisk's queue_log (issue 13): three
calls through the real call path (answered at once, answered after more
than 15 seconds, abandoned after 7 seconds) and one that hung up keying an
order number out of the queue, the real ingester process
reading the instance's queue_log into the work-order database, and the
report API giving the 15-second rate, 接通率 and abandonment they made; and,
with no ACD running, the callers who gave up are callback tasks from the
dialplan's own YHTMISSED lines."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time

import httpx

from testkit.services import ServiceProcess
from testkit.sipp import place_call
from testkit.waiting import free_tcp_port, until
from tests.integration.test_call_path import is_caller, new_caller

HOTLINE = "61696156"  # no other test calls it: the figures are this test's calls


async def test_the_15_second_rate_and_connection_rate_are_what_the_calls_made(
    pbx, agi_server, ticketing_service, late_agent, ami, workdir, tmp_path
):
    env = {**ticketing_service.env, "YHT_TICKETING_QUEUE_LOGS": str(pbx.dir / "log" / "queue_log"),
           "YHT_TICKETING_CDR_FILES": str(pbx.dir / "log" / "cdr-csv" / "Master.csv"),
           "YHT_TICKETING_INGEST_INTERVAL_S": "0.5",
           "YHT_TICKETING_INGEST_METRICS_PORT": str(free_tcp_port())}  # fmt: skip
    ingester = ServiceProcess("ticketing.reports.ingest", env, tmp_path / "ingest.log",
                              "log:queue_log ingestion")  # fmt: skip
    ingester.start()
    try:
        # no seat yet: one caller gives up after 7 s, one waits until a seat comes
        gives_up, late, keying = new_caller(), new_caller(), new_caller()
        abandon = place_call(pbx.settings.sip_port, HOTLINE, gives_up, workdir, hold_ms=7000)
        # and one presses 1 (order progress) and hangs up while keying: out
        # of the queue, counted apart (IVRHANGUP, written by the dialplan)
        menu = place_call(pbx.settings.sip_port, HOTLINE, keying, workdir, hold_ms=6000,
                          dtmf="1")  # fmt: skip
        waits = place_call(pbx.settings.sip_port, HOTLINE, late, workdir, hold_ms=22000)
        joined = await ami.wait_for("QueueCallerJoin", is_caller(late), timeout=20)
        await ami.wait_for("QueueCallerAbandon", is_caller(gives_up), timeout=20)
        # the seat's phone comes up once the late caller has waited over 15 s
        await until(lambda: float(ami.events[-1].get("Timestamp", 0) or 0) > 0, 5, "events")
        await asyncio.sleep(max(0.0, float(joined["Timestamp"]) + 16.5 - time.time()))
        await asyncio.to_thread(late_agent)
        late_connect = await ami.wait_for("AgentConnect", is_caller(late), timeout=20)
        assert int(late_connect["HoldTime"]) > 15
        assert await waits.finished() == 0 and await abandon.finished() == 0
        assert await menu.finished() == 0
        # a caller answered at once
        prompt = new_caller()
        answered = place_call(pbx.settings.sip_port, HOTLINE, prompt, workdir, hold_ms=3000)
        connect = await ami.wait_for("AgentConnect", is_caller(prompt), timeout=20)
        assert int(connect["HoldTime"]) <= 15
        assert await answered.finished() == 0

        leader = ticketing_service.user("leader1", "leader")
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        params = {"start": str(today), "end": str(today + dt.timedelta(days=1)),
                  "hotline": HOTLINE}  # fmt: skip

        def whole() -> dict:
            response = httpx.get(f"{ticketing_service.base}/reports/calls", headers=leader,
                                 params=params, timeout=5)  # fmt: skip
            response.raise_for_status()
            return response.json()

        def report() -> dict:
            return whole()["total"]

        # all three calls ended and ingested (the last one's COMPLETE line too)
        await until(lambda: report()["offered"] == 3 and report()["aht_s"] is not None, 20,
                    "the three calls in the report")  # fmt: skip
        total = report()
        assert (total["answered"], total["answered_in_target"]) == (2, 1)
        assert (total["abandoned"], total["short_abandoned"]) == (1, 0)
        assert total["rate_in_target"] == round(1 / 3, 4)
        assert total["connect_rate"] == round(2 / 3, 4)
        assert total["abandon_rate"] == round(1 / 3, 4)
        assert total["longest_wait_s"] > 15
        await until(lambda: report()["menu_hangups"] == 1, 10, "the caller who hung up keying")
        # Asterisk's CDRs: the four calls to this hotline, each once however
        # many CDRs its leg has, all answered by the switch (the front end)
        await until(lambda: whole()["inbound"]["inbound_calls"] == 4, 20, "the four calls' CDRs")
        inbound = whole()["inbound"]
        assert (inbound["inbound_answered"], inbound["inbound_unanswered"]) == (4, 0)
        assert (inbound["inbound_sos"], inbound["inbound_other"]) == (0, 0)
        # and a number that is no hotline: refused before any answer, counted apart
        everything = {**params, "hotline": ""}

        def refused() -> int:
            response = httpx.get(f"{ticketing_service.base}/reports/calls", headers=leader,
                                 params=everything, timeout=5)  # fmt: skip
            return response.json()["inbound"]["inbound_other"]

        before = refused()  # earlier tests' wrong numbers, ingested with this test's calls
        wrong = place_call(pbx.settings.sip_port, "99999", new_caller(), workdir, hold_ms=1000,
                           scenario="citizen_unknown_number.xml")  # fmt: skip
        assert await wrong.finished() == 0
        await until(lambda: refused() == before + 1, 20, "the refused call's CDR")
        # the ingester's own figures: lines taken, rounds that went through
        port = env["YHT_TICKETING_INGEST_METRICS_PORT"]
        scraped = (await asyncio.to_thread(
            httpx.get, f"http://127.0.0.1:{port}/metrics", timeout=5)).text  # fmt: skip
        taken = re.search(r'yht_ingest_lines_total\{result="taken"\} (\S+)', scraped)
        assert taken and float(taken.group(1)) >= 8  # queue_log and CDR lines of these calls
        assert 'yht_ingest_rounds_total{outcome="ok"}' in scraped
        # the seat that answered both calls is on the seat report (its
        # occupancy needs log-in lines, which a static member has none of)
        seats = (await asyncio.to_thread(
            httpx.get, f"{ticketing_service.base}/reports/seats", headers=leader,
            params={k: params[k] for k in ("start", "end")}, timeout=5)).json()  # fmt: skip
        assert {s["agent"]: s for s in seats["seats"]}["agent1001"]["answered"] >= 2

        # no ACD runs here: the two who gave up past the threshold are callback
        # tasks all the same, from the YHTMISSED lines the dialplan's hangup
        # handler wrote to queue_log; the two answered are not
        def missed() -> dict[str, str]:
            response = httpx.get(f"{ticketing_service.base}/missed-calls", timeout=5,
                                 headers=ticketing_service.agent,
                                 params={"limit": 500})  # fmt: skip
            response.raise_for_status()
            return {m["caller"]: m["reason"] for m in response.json()}

        await until(lambda: gives_up in missed() and keying in missed(), 20,
                    "the two who gave up among the missed calls")  # fmt: skip
        found = missed()
        assert (found[gives_up], found[keying]) == ("abandoned", "menu")
        assert late not in found and prompt not in found
    finally:
        ingester.stop()


async def test_a_caller_who_presses_a_key_late_is_timed_from_the_call(
    pbx, agi_server, ticketing_service, late_agent, ami, workdir
):
    """Issue 28 item 11 on the real call path: a key pressed while queued
    (2: back into the hotline queue) restarts app_queue's own count, not the
    caller's wait. One caller presses it at 4 s and gives up 3 s later; one
    presses it at 5 s and is answered when a seat comes. Their stays, as the
    real ingester takes Asterisk's queue_log, and the dialplan's missed-call
    entry count from the first queue entry."""
    from sqlalchemy import select

    from ticketing.database import make_engine, session_factory
    from ticketing.missed.models import MissedCall
    from ticketing.reports.ingest import ingest
    from ticketing.reports.models import QueueCall

    gives_up, answered = new_caller(), new_caller()
    first = place_call(pbx.settings.sip_port, "12345", gives_up, workdir, hold_ms=7000,
                       dtmf="2", dtmf_delay_ms=4000)  # fmt: skip
    joined_b = await ami.wait_for("QueueCallerJoin", is_caller(gives_up), timeout=20)
    abandon = await ami.wait_for("QueueCallerAbandon", is_caller(gives_up), timeout=20)
    assert await first.finished() == 0
    second = place_call(pbx.settings.sip_port, "12345", answered, workdir, hold_ms=15000,
                        dtmf="2", dtmf_delay_ms=5000)  # fmt: skip
    joined_a = await ami.wait_for("QueueCallerJoin", is_caller(answered), timeout=20)
    rejoin = await ami.wait_for(
        "QueueCallerJoin",
        lambda e: (
            is_caller(answered)(e) and float(e["Timestamp"]) > float(joined_a["Timestamp"]) + 3
        ),
        timeout=20,
    )  # fmt: skip  the rejoin after the key
    await asyncio.to_thread(late_agent)
    connect = await ami.wait_for("AgentConnect", is_caller(answered), timeout=20)
    assert await second.finished() == 0
    from_call = float(connect["Timestamp"]) - float(joined_a["Timestamp"])
    since_rejoin = float(connect["Timestamp"]) - float(rejoin["Timestamp"])
    # app_queue counts from the rejoin, in whole seconds (both ends truncated)
    hold = int(connect["HoldTime"])
    assert hold <= since_rejoin + 1.5 < from_call - 1.5, (hold, since_rejoin, from_call)

    engine = make_engine(ticketing_service.env["YHT_TICKETING_DATABASE_URL"])
    sessions = session_factory(engine)
    call_a, call_b = connect["Uniqueid"], abandon["Uniqueid"]

    def stays() -> dict[str, float]:
        ingest(sessions, [pbx.dir / "log" / "queue_log"])
        with sessions() as db_session:
            rows = db_session.execute(
                select(QueueCall.call_id, QueueCall.wait_s).where(
                    QueueCall.call_id.in_((call_a, call_b)),
                    QueueCall.outcome.in_(("answered", "abandoned")))).all()  # fmt: skip
        return dict(rows)

    await until(lambda: len(stays()) == 2, 20, "both calls' stays ingested")
    waits = stays()
    assert waits[call_a] >= from_call - 1.5, (waits, from_call)
    b_from_call = float(abandon["Timestamp"]) - float(joined_b["Timestamp"])
    assert waits[call_b] >= b_from_call - 1.5 and waits[call_b] >= 5, (waits, b_from_call)
    with sessions() as db_session:
        missed = db_session.scalars(select(MissedCall).where(MissedCall.call_id == call_b)).one()
    assert missed.waited_s >= b_from_call - 1.5 and missed.reason == "abandoned"
    engine.dispose()
