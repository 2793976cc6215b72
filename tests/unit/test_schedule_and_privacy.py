from datetime import UTC, datetime

from ivr.menu import load_menu
from ivr.schedule import opening_prompts
from yht.privacy import mask_number, number_key

SCHEDULE = load_menu().schedule  # day 08:00-20:00 Asia/Shanghai


def test_day_time_callers_hear_no_notice():
    assert opening_prompts(SCHEDULE, datetime(2026, 11, 25, 2, 0, tzinfo=UTC)) == ()  # 10:00


def test_night_callers_hear_the_after_hours_notice():
    assert opening_prompts(SCHEDULE, datetime(2026, 11, 25, 14, 0, tzinfo=UTC)) == ("after-hours",)


def test_holidays_take_precedence_over_hours():
    schedule = SCHEDULE.model_copy(update={"holidays": ["2026-10-01"]})
    assert opening_prompts(schedule, datetime(2026, 10, 1, 2, 0, tzinfo=UTC)) == ("holiday",)


def test_equal_hours_mean_day_service_around_the_clock():
    schedule = SCHEDULE.model_copy(update={"day_hours": ("00:00", "00:00")})
    assert opening_prompts(schedule, datetime(2026, 11, 25, 14, 0, tzinfo=UTC)) == ()


def test_numbers_are_masked_for_logs():
    assert mask_number("13800138000") == "138****8000"
    assert mask_number("12345") == "***45"
    assert mask_number("") == ""


def test_number_keys_are_stable_and_secret_dependent():
    assert number_key("13800138000", "a") == number_key("13800138000", "a")
    assert number_key("13800138000", "a") != number_key("13800138000", "b")
    assert "13800138000" not in number_key("13800138000", "a")


def test_numbers_in_logged_urls_are_masked():
    import logging

    import httpx

    from yht.privacy import MaskNumbers

    mask = MaskNumbers()
    url = httpx.URL("http://127.0.0.1:8080/orders?caller_phone=13911599816&limit=5")
    httpx_line = logging.LogRecord("httpx", logging.INFO, "", 0, 'HTTP Request: %s %s "%s %d %s"',
                                   ("GET", url, "HTTP/1.1", 200, "OK"), None)  # fmt: skip
    access_line = logging.LogRecord("uvicorn.access", logging.INFO, "", 0,
                                    '%s - "%s %s HTTP/%s" %d',
                                    ("127.0.0.1:5", "GET", "/elders/lookup?number=%2B8613900001234",
                                     "1.1", 200), None)  # fmt: skip
    for record in (httpx_line, access_line):
        assert mask.filter(record)
    assert "13911599816" not in httpx_line.getMessage()
    assert "/orders?caller_phone=…&limit=…" in httpx_line.getMessage()
    assert "8613900001234" not in access_line.getMessage()
    assert "/elders/lookup?number=… HTTP/1.1" in access_line.getMessage()
