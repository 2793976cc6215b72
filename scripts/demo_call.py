"""`make demo-call`: against a running `make run`, register seat 1001 with a
sipp phone, place a citizen call to 12345 that presses 2 (car moving), and
report what reached the seat. `make demo-sos` (argument `sos`): the demo
elder (13900000001) presses the SOS key (12349); seat 1001 answers and a sipp
120 center answers on the partner trunk when the desk's 接通 120 is pressed
or nobody answers in time. Stops its sipp processes by pid."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from scripts.pbx import PbxSettings, agent_password
from testkit.sipp import SippAgent, SippCenter, place_call


def sos() -> int:
    settings = PbxSettings()
    workdir = Path(tempfile.mkdtemp(prefix="yht-demo-"))
    center = SippCenter(settings.partner_port, workdir)
    try:
        center.start()
        call = place_call(settings.sip_port, settings.sos_number_list[0], "13900000001",
                          workdir, hold_ms=45000)  # fmt: skip
        print("SOS call from 13900000001 for 45 s: log in on the desk (签入) to take it,"
              f" or wait {settings.sos_answer_s} s for 120")  # fmt: skip
        result = call.wait(timeout=120)
        print(f"SOS call ended (sipp exit {result}); 120 was called {center.invites('120')}"
              " time(s). The emergency work order is in the work-order API.")  # fmt: skip
        return result
    finally:
        center.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    if sys.argv[1:] == ["sos"]:
        return sos()
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
