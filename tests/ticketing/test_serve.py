"""`python -m ticketing` as `make run` starts it: migrations, reference data and
the API with its OpenAPI page on loopback, on the embedded SQLite default."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

from testkit.waiting import free_tcp_port, stop_process, wait_until


def fetch(url: str, data: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def test_the_service_starts_on_sqlite_and_serves_its_openapi_page(tmp_path):
    port = free_tcp_port()
    env = {**os.environ, "YHT_TICKETING_DATABASE_URL": f"sqlite:///{tmp_path}/tickets.db",
           "YHT_TICKETING_PORT": str(port), "YHT_TICKETING_ADMIN_PASSWORD": "serve-test-pw",
           "YHT_CALLER_HASH_KEY": "serve-test-key"}  # fmt: skip
    log = open(tmp_path / "ticketing.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "ticketing"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: fetch(f"{base}/health")[0] == 200, 30, "the API to answer")
        assert json.loads(fetch(f"{base}/health")[1]) == {
            "status": "ok",
            "database": "sqlite",
            "requests_waiting": 0,
        }
        status, page = fetch(f"{base}/docs")
        assert status == 200 and b"swagger-ui" in page and b"cdn" not in page.lower()
        status, script = fetch(f"{base}/static-offline-docs/swagger-ui-bundle.js")
        assert status == 200 and len(script) > 100_000
        schema = json.loads(fetch(f"{base}/openapi.json")[1])
        assert "/orders/{order_id}/transitions" in schema["paths"]
        status, token = fetch(
            f"{base}/auth/token", {"username": "admin", "password": "serve-test-pw"}
        )
        assert status == 200
        status, units = fetch(f"{base}/units", token=json.loads(token)["access_token"])
        assert status == 200 and any(u["kind"] == "center" for u in json.loads(units))
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout  # fmt: skip
        local_addresses = {line.split()[3] for line in listening.splitlines()}
        assert local_addresses == {f"127.0.0.1:{port}"}
    finally:
        stop_process(proc)
        log.close()
    # uvicorn shuts down gracefully, then re-raises SIGTERM as its exit status
    assert proc.returncode in (0, -signal.SIGTERM)
    assert "Finished server process" in (tmp_path / "ticketing.log").read_text()
