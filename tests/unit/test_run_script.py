from __future__ import annotations

import pytest

from scripts.run import kept_down


@pytest.mark.parametrize(("setting", "module", "down"), [
    ("", "acd", False), ("acd,agi", "acd", True), ("acd, agi", "agi", True),
    ("acd", "ticketing", False), ("all", "recordings.worker", True),
])  # fmt: skip
def test_make_run_leaves_down_only_the_services_named(monkeypatch, setting, module, down):
    monkeypatch.setenv("YHT_RUN_NO_RESTART", setting)
    assert kept_down(module) is down
