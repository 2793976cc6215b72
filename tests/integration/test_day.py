"""A short hotline day (`make day` in small): a few simulated minutes, a
handful of callers and seats on a stack of its own, the ACD killed -9 in
the middle. The account, computed from the system's own records, finds
every call: none lost, every answered call a work order, every caller who
gave up a missed-call task, the SOS call answered or bridged to 120."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_a_short_day_with_a_fault_loses_no_call_and_no_order(tmp_path):
    account_file, report_file = tmp_path / "account.json", tmp_path / "report.md"
    run = subprocess.run(
        [sys.executable, "-m", "bench.day", "--calls", "12", "--hours", "0.05", "--compress", "3",
         "--sos", "1", "--faults", "one", "--talk-median", "30", "--patience-mean", "30",
         "--office-every", "30", "--media", "full",
         "--json", str(account_file), "--report", str(report_file)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    account = json.loads(account_file.read_text())
    print(report_file.read_text())
    assert account["placed"] >= 6
    assert account["lost"] == [] and account["lost_to_restart"] == []
    assert account["answered_without_order"] == []
    assert account["missed_without_task"] == []
    assert [f["what"] for f in account["faults"]] == ["acd"]
    assert sum(account["outcomes"].values()) == account["placed"]
    assert account["outcomes"].get("answered", 0) >= 1
    # Asterisk's own event times saw every answered stay the queue_log saw
    assert account["waits"]["answered"] == account["outcomes"]["answered"], account["waits"]
    assert account["waits"]["wait_real_s"]["p50"] is not None
    [sos] = account["sos"]
    assert sos["order"] and (sos["answered_s"] is not None or sos["center_s"] is not None)
    # every recording transcribed or failed with its reason
    assert all(k.split("/")[1] in ("done", "failed", "skipped") for k in account["recordings"])
    assert account["recordings_stranded"] == [] and account["recordings_queued"] == 0
    # an answered call's recording has its audio (its files closed before the ACD reports it)
    assert account["answered_without_audio"] == []
    # ... all of it: the switch, in the real-time class, is not starved by the
    # ACD restarting beside it (before: up to 8 s of a call missing)
    shortfall = account["recording_shortfall_s"]
    assert shortfall and max(shortfall.values()) < 1.0, shortfall
