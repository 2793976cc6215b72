"""`make demo-call`: against a running `make run`, register seat 1001 with a
sipp phone, place a citizen call to 12345 that presses 2 (car moving), and
report what reached the seat. Stops its sipp processes by pid."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from scripts.pbx import PbxSettings, agent_password
from tests.harness import SippAgent, place_call


def main() -> int:
    settings = PbxSettings()
    workdir = Path(tempfile.mkdtemp(prefix="yht-demo-"))
    phone = SippAgent("1001", agent_password("1001"), 5071, settings.sip_port, workdir)
    try:
        phone.start()
        time.sleep(1.0)
        call = place_call(settings.sip_port, "12345", "13800138000", workdir, hold_ms=8000,
                          dtmf="2", dtmf_delay_ms=1000)  # fmt: skip
        result = call.wait(timeout=60)
        invites = phone.invites()
        if result != 0 or not invites:
            print(f"demo call failed (sipp exit {result}, {len(invites)} calls at seat 1001)")
            return 1
        print(f"seat 1001 answered the call with context {invites[-1]}")
        return 0
    finally:
        phone.register(expires=0)
        phone.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
