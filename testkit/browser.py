"""Headless Chromium for the page tests: where screenshots go, polling a
page with a deadline, logging in."""

from __future__ import annotations

import os
import time
from pathlib import Path

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By

from testkit.services import TEST_PORTS

PAGES = f"http://127.0.0.1:{TEST_PORTS['YHT_BRIDGE_PORT']}"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--window-size=1366,768")  # the desktops centers use  # fmt: skip


def artefacts() -> Path:
    """Where screenshots are kept (test artefacts)."""
    path = Path(os.environ.get("YHT_ARTEFACTS", "test-artefacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_in(driver, page: str, username: str, password: str) -> None:
    """Log in on the entry page, the one log-in of every page, and come back
    to `page` (the entry page's `next`); "" stays on the entry page."""
    driver.get(f"{PAGES}/?next=/{page}" if page else f"{PAGES}/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    if page:
        there = f"{PAGES}/{page}"
        until(driver, lambda d: d.current_url.split("?")[0] == there, 15, f"the {page} page")


def until(driver, condition, timeout: float, what: str):
    """Poll `condition(driver)` until it is truthy; an element not there yet
    or replaced while read (the page re-rendered) counts as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition(driver)
        except (NoSuchElementException, StaleElementReferenceException):
            value = None
        if value:
            return value
        time.sleep(0.2)
    shot = artefacts() / f"timeout-{time.strftime('%H%M%S')}.png"
    driver.save_screenshot(str(shot))  # what the page showed instead
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (screenshot {shot}); "
                         f"at {driver.current_url}; "
                         f"console: {driver.get_log('browser')[-5:]}")  # fmt: skip
