"""Every read of personal data leaves an audit entry: who read what."""

from __future__ import annotations

from sqlalchemy import text

from tests.ticketing.conftest import Api

ACD = {"Authorization": "Bearer acd-test-token-0123456789"}


def _entries(engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(a, t) for a, t in conn.execute(text("SELECT action, target FROM audit_log"))}


def test_reads_of_recordings_callbacks_requests_devices_users_and_the_audit_are_audited(
    api: Api, engine
):
    order = api.new_order()
    reads = [
        (api.get("lead", "/recordings"), ("list", "recordings")),
        (api.get("lead", "/recordings/1795700000.1"), None),  # not there: nothing read
        (api.get("agent", "/callbacks"), ("list", "callbacks")),
        (
            api.get("agent", f"/orders/{order['id']}/reassign-requests"),
            ("read_reassign_requests", f"order:{order['id']}"),
        ),
        (api.client.get("/elders/devices", headers=ACD), ("list", "elders:devices")),
        (api.get("admin", "/users"), ("list", "users")),
        (api.get("admin", "/audit"), ("list", "audit")),
    ]
    found = _entries(engine)
    for response, entry in reads:
        if entry is None:
            assert response.status_code == 404
            continue
        assert response.status_code == 200, response.text
        assert entry in found, entry


def test_reading_one_recording_is_audited(api: Api, engine, app, tmp_path, monkeypatch):
    monkeypatch.setattr(app.state.context.settings, "recordings_dir", str(tmp_path))
    body = {
        "call_id": "1795700000.3",
        "queue": "hotline",
        "hotline": "12345",
        "seat": "1003",
        "mixed_file": "call-17957000003.wav",
    }
    assert api.client.post("/recordings", json=body, headers=ACD).status_code == 201
    assert api.get("lead", "/recordings/1795700000.3").status_code == 200
    assert ("read", "recording:1795700000.3") in _entries(engine)
