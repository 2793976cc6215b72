"""The work-order API closed to abuse: idempotency keys that cannot swallow a
message, logs nobody can rewrite, numbers masked in free text, text that
cannot hide what it says, errors the OpenAPI contract declares."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.ticketing.conftest import DATABASE_URL, Api
from ticketing.app import create_app
from ticketing.bootstrap import grant_service_role
from ticketing.database import make_engine

SERVICE_ROLE = "yht_service_test"


def test_a_replayed_key_with_another_body_is_refused_and_keys_belong_to_their_gateway(api: Api):
    def deliver(gateway: str, body: dict):
        headers = {**api.as_(gateway), "Idempotency-Key": "sms-key-0001"}
        return api.client.post("/intake/sms", json=body, headers=headers)

    message = {"phone": "13800138000", "content": "楼下噪音扰民"}
    first = deliver("sms-gateway", message)
    assert first.status_code == 201
    again = deliver("sms-gateway", message)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    # the same key with another message: refused, never answered with the first order
    urgent = {"phone": "13800138000", "content": "燃气泄漏!"}
    replay = deliver("sms-gateway", urgent)
    assert replay.status_code == 409 and "Idempotency-Key" in replay.json()["detail"]
    # another gateway's identical key is its own: a new order, not the first one
    other = deliver("web-gateway", urgent)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert other.json()["content"] == "燃气泄漏!"


@pytest.fixture
def service_role(engine):
    with engine.begin() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": SERVICE_ROLE})
        if not exists:
            conn.exec_driver_sql(f"CREATE ROLE {SERVICE_ROLE} LOGIN")
    grant_service_role(engine, SERVICE_ROLE)
    role_engine = make_engine(DATABASE_URL.replace("postgres@", f"{SERVICE_ROLE}@"))
    yield role_engine
    role_engine.dispose()


def _refused(engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as refused, engine.begin() as conn:
        conn.exec_driver_sql(statement)
    return str(refused.value.orig)


def test_the_service_role_can_only_append_to_the_logs(api: Api, service_role, engine):
    with service_role.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_log (at, action, target, detail) VALUES (now(), 'probe', 't', '')"
        )
        assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'probe'")) == 1
    assert "permission denied" in _refused(service_role, "TRUNCATE audit_log")
    assert "permission denied" in _refused(service_role, "TRUNCATE order_events")
    assert "permission denied" in _refused(service_role, "UPDATE audit_log SET detail = 'x'")
    assert "permission denied" in _refused(service_role, "DELETE FROM order_events")
    assert "must be owner" in _refused(
        service_role, "DROP TRIGGER audit_log_no_truncate ON audit_log"
    )
    # and the owner itself meets the trigger
    assert "append-only" in _refused(engine, "TRUNCATE audit_log")
    # the work-order tables stay writable for the service
    with service_role.begin() as conn:
        conn.exec_driver_sql("UPDATE units SET verdicts_basic = verdicts_basic")


def test_numbers_typed_into_the_content_are_masked_like_the_phone_field(api: Api):
    order = api.new_order(
        content="请回电 138 0013 8000 或座机 023-8888 0001", subject_code="heating"
    )
    order = api.to_state(order, "dispatched", unit="dept-urban")
    assert "138 0013 8000" in api.get("agent", f"/orders/{order['id']}").json()["content"]
    for user in ("urban", "admin"):
        seen = api.get(user, f"/orders/{order['id']}").json()["content"]
        assert "138****8000" in seen and "023****0001" in seen
        assert "0013" not in seen and "8888" not in seen


def test_reads_of_events_and_attachments_are_audited(api: Api):
    order = api.new_order()
    assert api.get("agent", f"/orders/{order['id']}/events").status_code == 200
    assert api.get("agent", f"/orders/{order['id']}/attachments").status_code == 200
    entries = api.get("admin", "/audit", params={"target": f"order:{order['id']}"}).json()
    assert {"read_events", "read_attachments"} <= {e["action"] for e in entries}


@pytest.mark.parametrize("sneaky", ["\u202e", "\u2066", "\x00", "\x1b[31m", "\x85"])
def test_control_and_bidi_characters_are_refused_with_the_field_named(api: Api, sneaky):
    body = {"channel": "phone", "type": "help", "content": f"invoice{sneaky}fdp.exe"}
    response = api.post("agent", "/orders", json=body)
    assert response.status_code == 422 and response.json()["detail"].startswith("body.content")
    order = api.new_order()
    upload = api.post("agent", f"/orders/{order['id']}/attachments",
                      params={"filename": f"photo{sneaky}gpj.exe"}, content=b"x")  # fmt: skip
    assert upload.status_code == 422 and "filename" in upload.json()["detail"]
    # line breaks and tabs in a body are ordinary text
    assert api.post("agent", "/orders", json={**body, "content": "一\n二\t三"}).status_code == 201


def test_file_names_cannot_carry_a_path(api: Api):
    order = api.new_order()
    for name in ("../../etc/passwd", "a\\b.png", "..", "C:x"):
        response = api.post("agent", f"/orders/{order['id']}/attachments",
                            params={"filename": name}, content=b"x")  # fmt: skip
        assert response.status_code == 422, name


def test_invalid_unicode_json_is_a_clear_422_even_before_logging_in(api: Api):
    response = api.client.post("/auth/token", content=b'{"username": "\xff\xfe", "password": "x"}',
                               headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 422 and "UTF-8 JSON" in response.json()["detail"]


def test_failed_logins_are_audited_and_lock_the_account(api: Api):
    for _ in range(5):
        wrong = api.client.post("/auth/token", json={"username": "agent2", "password": "guess"})
        assert wrong.status_code == 401
    locked = api.client.post("/auth/token", json={"username": "agent2", "password": "guess"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # locked means locked: the right password waits for the window too
    right = api.client.post("/auth/token", json={"username": "agent2", "password": "x" * 17})
    assert right.status_code == 429
    failures = [e for e in api.get("admin", "/audit", params={"target": "login:agent2"}).json()
                if e["action"] == "login_failed"]  # fmt: skip
    assert len(failures) == 5


def test_every_operation_declares_its_error_answers(app):
    schema = app.openapi()
    for path, operations in schema["paths"].items():
        if path == "/health":
            continue
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"401", "403", "404", "409", "422"} <= declared, f"{method} {path}"
            error = operation["responses"]["422"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}, f"{method} {path}"


def test_the_service_refuses_to_start_without_a_caller_hash_key(settings):
    unkeyed = settings.model_copy(update={"caller_hash_key": ""})
    with pytest.raises(RuntimeError, match="YHT_CALLER_HASH_KEY"):
        create_app(unkeyed, scan_in_background=False)


def test_desk_call_actions_reach_the_audit_log_once_with_who_and_which_call(api: Api):
    acd = {"Authorization": "Bearer acd-test-token-0123456789"}
    action = {"ref": "a" * 32, "user": "agent", "seat": "1001", "action": "party",
              "call_id": "1795000000.42", "target": "13800138000", "at": 1795000001.5}  # fmt: skip
    assert api.client.post("/call-actions", json=action, headers=acd).status_code == 201
    assert api.client.post("/call-actions", json=action, headers=acd).status_code == 200
    handoff = {**action, "ref": "b" * 32, "action": "transfer", "target": "110"}
    assert api.client.post("/call-actions", json=handoff, headers=acd).status_code == 201
    entries = api.get("admin", "/audit", params={"target": "call:1795000000.42"}).json()
    assert sorted(e["action"] for e in entries) == ["call_party", "call_transfer"]
    party = next(e for e in entries if e["action"] == "call_party")
    agent_id = next(u["id"] for u in api.get("admin", "/users").json() if u["username"] == "agent")
    assert party["user_id"] == agent_id and "seat=1001" in party["detail"]
    assert "138****8000" in party["detail"] and "13800138000" not in party["detail"]
    assert "target=110" in next(e for e in entries if e["action"] == "call_transfer")["detail"]
    # only the ACD reports call actions
    assert api.post("agent", "/call-actions", json={**action, "ref": "c" * 32}).status_code == 403


def test_the_desks_draft_retried_with_its_key_makes_one_order(api: Api):
    draft = {"channel": "phone", "type": "help", "content": "楼道灯不亮",
             "caller": {"phone": "13800138000"}, "call": {"call_id": "1795000000.9"}}  # fmt: skip
    headers = {**api.as_("agent"), "Idempotency-Key": "draft-1795000000.9-1"}
    first = api.client.post("/orders", json=draft, headers=headers)
    again = api.client.post("/orders", json=draft, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = api.client.post("/orders", json={**draft, "content": "另一件事"}, headers=headers)
    assert other.status_code == 409
