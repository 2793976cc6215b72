"""The agent desk and the seat map in a real headless Chromium (Debian's
chromium + chromedriver, driven by Selenium), with a real call through
Asterisk: the screen-pop appears on the desk and the seat turns "talking" on
the seat map."""

from __future__ import annotations

import shutil
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.harness import place_call
from tests.integration.test_call_path import new_caller

pytestmark = pytest.mark.browser
SEAT = "1002"  # first choice for the hotline (acd/data/skills.yaml)
PAGES = "http://127.0.0.1:18092"


@pytest.fixture
def browser():
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("chromium and chromium-driver are missing: run `make setup`")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=Service(shutil.which("chromedriver")))  # fmt: skip
    yield driver
    driver.quit()  # stops chromedriver and the browser it started


def log_in(driver, page: str, username: str, password: str) -> None:
    driver.get(f"{PAGES}/{page}")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()


def until(driver, condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition(driver)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                         f"console: {driver.get_log('browser')[-5:]}")  # fmt: skip


def classes(driver, element_id: str) -> str:
    found = driver.find_elements(By.ID, element_id)
    return found[0].get_attribute("class") if found else ""


@pytest.fixture
def seat_phone(seat_phones):
    return seat_phones(SEAT, 15101)


def test_the_desk_pops_up_the_call_and_the_seat_map_turns_the_seat_red(
    pbx, live_desk, ticketing_service, seat_phone, browser, workdir
):
    ticketing_service.user("desk1002", "agent", seat=SEAT)
    ticketing_service.user("lead1002", "shift_lead")
    log_in(browser, "desk", "desk1002", "password-of-desk1002")
    until(browser, lambda d: d.find_element(By.ID, "seat-id").text == SEAT, 15, "the desk")
    desk = browser.current_window_handle
    browser.switch_to.new_window("tab")
    log_in(browser, "seatmap", "lead1002", "password-of-lead1002")
    seatmap = browser.current_window_handle
    browser.switch_to.window(desk)
    browser.find_element(By.ID, "btn-login").click()
    until(browser, lambda d: d.find_element(By.ID, "seat-state").get_attribute("data-state")
          == "ready", 15, "the seat to be ready")  # fmt: skip
    browser.switch_to.window(seatmap)
    seat_on_map = f"seat-{SEAT}"
    until(browser, lambda d: "state-ready" in classes(d, seat_on_map), 15,
          "the seat map to show the seat ready")  # fmt: skip

    caller = new_caller()
    call = place_call(pbx.settings.sip_port, "12345", caller, workdir, hold_ms=10000, dtmf="2")
    try:
        until(browser, lambda d: "state-talking" in classes(d, seat_on_map), 40,
              "the seat map to show the seat talking")  # fmt: skip
        browser.switch_to.window(desk)
        until(browser, lambda d: d.find_element(By.ID, "pop-caller").text == caller, 10,
              "the screen-pop")  # fmt: skip
        assert browser.find_element(By.ID, "pop-category").text == "carmove"
        assert browser.find_element(By.ID, "pop-path").text == "welcome>menu:2"
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
