"""A sipp run whose port was taken between choosing it and binding it is
launched again with new ports, not failed."""

from __future__ import annotations

import socket
from pathlib import Path

from testkit import sipp


def test_a_port_taken_meanwhile_costs_a_launch_not_the_run(tmp_path: Path, monkeypatch):
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    ports = iter([taken.getsockname()[1]])
    real = sipp.free_port
    monkeypatch.setattr(sipp, "free_port", lambda: next(ports, None) or real())
    try:
        # nobody answers on port 9: sipp gives up after a second (exit 255, not 254)
        run = sipp.start_sipp(
            [
                "sipp",
                "-sn",
                "uac",
                "-i",
                "127.0.0.1",
                "-m",
                "1",
                "-timeout",
                "1",
                "-timeout_error",
                "-nostdin",
                "127.0.0.1:9",
            ],
            tmp_path,
        )
        code = run.wait(30)
    finally:
        taken.close()
    assert run.launches == 2
    assert code != sipp.BIND_FAILED
