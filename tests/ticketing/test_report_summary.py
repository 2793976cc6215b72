"""A report against the period before, and its written part (issue 13): the
same comparison and sentences in the API's answer, the XLSX and the PDF."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

from tests.ticketing.conftest import Api
from tests.ticketing.test_reports import DAY_LINES, T0
from ticketing.reports import summary
from ticketing.reports.calls import Rules, call_figures, call_totals
from ticketing.reports.ingest import ingest

DAY = {"start": "2026-11-26", "end": "2026-11-27", "group": "hour"}


def line(offset: int, call: str, event: str, *data: object) -> str:
    return "|".join([str(T0 + offset), call, "hotline", "agent1001" if event == "CONNECT"
                     else "NONE", event, *map(str, data)]) + "\n"  # fmt: skip


# the day before: two calls, one answered in 3 s, one abandoned after 40 s
DAY_BEFORE = [
    line(-86400, "p1", "ENTERQUEUE", "12345", "13800000011", "1"),
    line(-86397, "p1", "CONNECT", "3", "p1b", "1"),
    line(-86300, "p2", "ENTERQUEUE", "12345", "13800000012", "1"),
    line(-86260, "p2", "ABANDON", "1", "1", "40"),
]


def test_the_database_sums_the_same_totals_as_the_report(api: Api, app, tmp_path):
    """call_totals (one SQL aggregate, used for the period before) holds
    every total call_figures computes row by row, with and without filters."""
    queue_log = tmp_path / "queue_log"
    queue_log.write_text("".join(DAY_BEFORE + DAY_LINES))
    ingest(app.state.sessions, [queue_log])
    day = dt.datetime(2026, 11, 26, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    with app.state.sessions() as db_session:
        for start, end in ((day, day + dt.timedelta(days=1)), (day - dt.timedelta(days=1), day),
                           (day - dt.timedelta(days=1), day + dt.timedelta(days=1)),
                           (day + dt.timedelta(days=5), day + dt.timedelta(days=6))):  # fmt: skip
            for filters in ({}, {"hotline": "96010"}, {"queue": "dialect"}):
                rules = Rules(target_s=15, short_abandon_s=5, wrapup_s=10)
                summed = call_totals(db_session, start, end, rules, **filters)
                rows = call_figures(db_session, start, end, rules, **filters)["total"]
                assert summed == rows, (start, filters)


def test_the_report_and_its_exports_hold_the_period_before_and_the_written_part(
    api: Api, app, tmp_path
):
    from openpyxl import load_workbook

    queue_log = tmp_path / "queue_log"
    queue_log.write_text("".join(DAY_BEFORE + DAY_LINES))
    ingest(app.state.sessions, [queue_log])
    body = api.get("leader", "/reports/calls", params=DAY).json()
    assert body["kind"] == "日报"
    compared = {row["key"]: row for row in body["comparison"]}
    assert (compared["offered"]["now"], compared["offered"]["before"]) == (5, 2)
    assert compared["offered"]["change"] == 3
    # 15-s rate: 2/4 today, 1/2 the day before (the 40-s abandon counts) -> 0 points
    assert compared["rate_in_target"]["change"] == 0.0
    # 接通率 3/4 against 1/2: +25 points
    assert compared["connect_rate"]["change"] == 25.0
    # the 三率 per unit ride along (the page shows them without asking again)
    period = {k: DAY[k] for k in ("start", "end")}
    assert body["orders"] == api.get("leader", "/reports/orders", params=period).json()
    said = body["summary"]
    assert said[0] == "日报 (2026-11-26 至 2026-11-26)。"
    assert "来电量 5 通, 比上期上升 3 通 (150.0%)" in said[1]
    assert "接通率 75.0%, 比上期上升 25 个百分点" in said[1]
    assert "15秒接通率 50.0%, 与上期持平 (未达到 15 秒内接通 80% 的目标)" in said[2]
    # (5 + 20 + 13) / 3: c5 waited 13 s from its first queue entry (issue 28: 11)
    assert "平均应答 12.7 秒" in said[2]
    assert said[3] == "工单: 本期无新受理工单。"
    book = load_workbook(io.BytesIO(api.get("leader", "/reports/calls.xlsx", params=DAY).content))
    assert book.sheetnames[0] == "摘要与环比"
    rows = [[c.value for c in r] for r in book["摘要与环比"].iter_rows()]
    assert rows[0][0] == "日报 2026-11-26 至 2026-11-26" and rows[1][0] == said[0]
    assert ["来电量", "5", "2", "+3"] in rows and [
        "接通率",
        "75.0%",
        "50.0%",
        "+25 个百分点",
    ] in rows
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(api.get("leader", "/reports/calls.pdf", params=DAY).content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert "比上期上升 3 通" in text and "+25 个百分点" in text and "上期" in text
    # a filtered report says what its figures cover
    filtered = api.get("leader", "/reports/calls", params={**DAY, "hotline": "96010"}).json()
    assert filtered["summary"][-1].startswith("注: 来电按所选热线")


def test_an_empty_period_is_said_to_be_empty(api: Api, app):
    body = api.get("leader", "/reports/calls", params={"start": "2030-01-01", "end": "2030-02-01",
                                                        "group": "day"}).json()  # fmt: skip
    assert body["kind"] == "月报"
    assert body["summary"][1] == "本期无来电记录。"
    assert all(row["change"] is None for row in body["comparison"] if row["unit"] != "count")


def test_the_kind_of_a_report_follows_its_period():
    d = dt.date
    assert summary.kind_of(d(2026, 11, 26), d(2026, 11, 27)) == "日报"
    assert summary.kind_of(d(2026, 11, 23), d(2026, 11, 30)) == "周报"  # Monday to Sunday
    assert summary.kind_of(d(2026, 11, 24), d(2026, 12, 1)) == "专报"  # seven days from a Tuesday
    assert summary.kind_of(d(2026, 2, 1), d(2026, 3, 1)) == "月报"
    assert summary.kind_of(d(2026, 12, 1), d(2027, 1, 1)) == "月报"
    assert summary.kind_of(d(2026, 12, 1), d(2026, 12, 31)) == "专报"
    start, end = dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1)
    assert summary.before(start, end) == (dt.datetime(2026, 10, 2), start)
