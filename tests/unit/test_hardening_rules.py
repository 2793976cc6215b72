"""Rules shared across services: what may be dialled, how numbers are masked,
how the secrets file is born."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from yht.dialling import OutboundRule
from yht.privacy import MaskNumbers, mask_query_values, mask_text_numbers


@pytest.mark.parametrize("number", [
    "110", "119", "120", "122", "13800138000", "19912345678", "01088880001",
    "02388880001", "075523456789", "07552345678", "96010",
])  # fmt: skip
def test_national_numbers_and_partners_may_be_dialled(number):
    assert OutboundRule.from_setting("96010").allows(number)


@pytest.mark.parametrize("number", [
    "00441234567890", "0016505550100", "+8613800138000", "12345", "168", "1680001234",
    "07551681234", "0238888000", "138001380001", "999", "96010", "",
])  # fmt: skip
def test_international_premium_and_short_numbers_may_not(number):
    assert not OutboundRule().allows(number)


def test_partner_numbers_cannot_open_the_door_abroad():
    with pytest.raises(ValueError, match="international"):
        OutboundRule.from_setting("96010,0044123456")


def test_the_dialplan_gets_the_same_patterns():
    lines = OutboundRule.from_setting("96010").dialplan("NoOp()").splitlines()
    assert "exten => _1[3-9]XXXXXXXXX,1,NoOp()" in lines
    assert "exten => 96010,1,NoOp()" in lines
    assert not any("_0X" in line or "." in line.split(",")[0] for line in lines)


def test_percent_encoded_numbers_in_logged_urls_are_masked():
    line = "GET /orders?caller_phone=%31%33%38%30%30%31%33%38%30%30%30&limit=5 HTTP/1.1"
    assert "caller_phone=…&limit=… HTTP/1.1" in mask_query_values(line)
    assert "13800138001" not in mask_query_values("/elders/lookup?number=%2B8613800138001")


def test_numbers_in_free_text_are_masked_but_ids_are_not():
    text = "请回电 138 0013 8000, 座机 023-8888 0001, 工单 20261125-000123, 通话 1795616515.0"
    masked = mask_text_numbers(text)
    assert "138****8000" in masked and "023****0001" in masked
    assert "20261125-000123" in masked and "1795616515.0" in masked


def test_the_log_filter_masks_numbers_written_in_a_message():
    import logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "callback to %s", ("13800138000",),
                               None)  # fmt: skip
    MaskNumbers().filter(record)
    assert record.getMessage() == "callback to 138****8000"


def test_the_secrets_file_is_never_readable_by_others(tmp_path):
    """Even with a permissive umask and chmod unavailable, the file is born 0600."""
    target = tmp_path / "secrets.env"
    code = (
        "import os; os.umask(0); os.chmod = lambda *a, **k: None;"
        "from scripts import secrets; secrets.get('YHT_AMI_SECRET')"
    )
    env = {**os.environ, "YHT_SECRETS_FILE": str(target)}
    env.pop("YHT_AMI_SECRET", None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert target.stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p != target]  # no partial file left
