"""`python -m ticketing` attacked as a running process: a burst of log-ins and
oversized bodies must neither exhaust its memory nor stall its other requests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from testkit.waiting import free_tcp_port, stop_process, wait_until

ARGON2_MIB = 64  # pwdlib's recommended argon2 memory cost per password check


@dataclass
class Service:
    base: str
    port: int
    proc: subprocess.Popen

    def peak_rss_mib(self) -> float:
        """VmHWM: the most resident memory the process ever had."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM")

    def health(self) -> int:
        return httpx.get(f"{self.base}/health", timeout=10).status_code


@pytest.fixture
def service(tmp_path) -> Iterator[Service]:
    port = free_tcp_port()
    env = {
        **os.environ,
        "YHT_TICKETING_DATABASE_URL": f"sqlite:///{tmp_path}/tickets.db",
        "YHT_TICKETING_PORT": str(port),
        "YHT_TICKETING_ADMIN_PASSWORD": "abuse-test-pw",
        "YHT_CALLER_HASH_KEY": "abuse-test-key",
        "YHT_TICKETING_SCAN_INTERVAL_S": "0",
        "YHT_TICKETING_LOGIN_ATTEMPTS_PER_ADDRESS": "60/minute",
    }
    with open(tmp_path / "ticketing.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ticketing"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    service = Service(f"http://127.0.0.1:{port}", port, proc)
    try:
        wait_until(lambda: _answers(service), 30, "the API to answer")
        yield service
    finally:
        stop_process(proc)


def _answers(service: Service) -> bool:
    try:
        return service.health() == 200
    except httpx.HTTPError:
        return False


def test_a_login_burst_is_throttled_without_the_memory_climbing(service: Service):
    ok = httpx.post(
        f"{service.base}/auth/token", json={"username": "admin", "password": "abuse-test-pw"}
    )
    assert ok.status_code == 200
    before = service.peak_rss_mib()

    def login(n: int) -> int:
        response = httpx.post(
            f"{service.base}/auth/token",
            timeout=30,
            json={"username": f"user{n}", "password": "guess"},
        )
        return response.status_code

    with ThreadPoolExecutor(32) as pool:
        burst = [pool.submit(login, n) for n in range(32)]
        # the event loop is not held by the password checks
        assert service.health() == 200
        answers = [f.result() for f in burst]
    assert set(answers) <= {401, 429}
    growth = service.peak_rss_mib() - before
    # 32 checks at once would need 32 x 64 MiB; two at a time need 2 x 64
    assert growth < 4 * ARGON2_MIB, f"peak memory grew by {growth:.0f} MiB"
    # the address keeps going: past 60 attempts a minute it is refused outright
    more = [login(n) for n in range(32, 64)]
    assert 429 in more and more[-1] == 429


def _raw_request(port: int, head: str, body: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_20_mb_body_is_refused_before_it_is_sent(service: Service):
    # only the headers go out: the answer must come without the 20 MB
    head = (
        "POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {20 * 1024 * 1024}\r\n\r\n"
    )
    answer = _raw_request(service.port, head)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert service.health() == 200


def test_an_undeclared_oversized_body_is_cut_off(service: Service):
    chunk = b"x" * (256 * 1024)
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8)) + b"0\r\n\r\n"
    head = (
        "POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    answer = _raw_request(service.port, head, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert service.health() == 200


def test_a_forged_forwarded_address_does_not_escape_the_address_limit(service: Service):
    answers = []
    for n in range(70):  # the fixture's limit is 60 attempts a minute per address
        response = httpx.post(
            f"{service.base}/auth/token",
            timeout=30,
            headers={"X-Forwarded-For": f"203.0.113.{n % 250}"},
            json={"username": f"nobody{n}", "password": "guess"},
        )
        answers.append(response.status_code)
    assert answers.count(429) >= 10, answers
