"""The Grafana dashboard (docs/) asks only for metrics the services expose."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_metric_on_the_dashboard_is_exposed_by_a_service():
    dashboard = json.loads((ROOT / "docs" / "grafana-dashboard.json").read_text())
    asked = {name.removesuffix("_total")
             for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"\byht_[a-z_]+", target["expr"])}  # fmt: skip
    code = "".join(p.read_text() for package in ("acd", "agi", "ticketing", "softphone_bridge",
                                                 "recordings", "yht")
                   for p in (ROOT / package).rglob("*.py"))  # fmt: skip
    missing = sorted(name for name in asked if f'"{name}"' not in code)
    assert asked and missing == []
