"""Bad input gets a clear answer naming the problem, never a 500, and loses nothing."""

from __future__ import annotations

from tests.ticketing.conftest import Api


def test_malformed_json_answers_422(api: Api):
    response = api.client.post(
        "/orders",
        content=b'{"channel": "phone", ',
        headers={**api.as_("agent"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


def test_validation_errors_name_the_field(api: Api):
    response = api.post("agent", "/orders", json={
        "channel": "pigeon", "type": "complaint", "content": "",
        "caller": {"phone": "call me"}, "colour": "red"})  # fmt: skip
    assert response.status_code == 422
    fields = {tuple(e["loc"][1:]) for e in response.json()["detail"]}
    assert {("channel",), ("content",), ("caller", "phone"), ("colour",)} <= fields


def test_unknown_ids_answer_404(api: Api):
    assert api.get("agent", "/orders/999999").status_code == 404
    missing = api.post(
        "agent", "/orders/999999/transitions", json={"action": "register", "version": 1}
    )
    assert missing.status_code == 404
    bad_subject = api.post(
        "agent",
        "/orders",
        json={"channel": "phone", "type": "help", "content": "x", "subject_code": "nope"},
    )
    assert bad_subject.status_code == 404 and "nope" in bad_subject.json()["detail"]
    assert api.post("lead", "/callbacks/424242/result", json={"grade": "A"}).status_code == 404


def test_requests_without_a_valid_token_answer_401(api: Api):
    assert api.client.get("/orders").status_code == 401
    forged = api.client.get("/orders", headers={"Authorization": "Bearer forged-token"})
    assert forged.status_code == 401 and forged.headers["WWW-Authenticate"] == "Bearer"
    wrong = api.client.post("/auth/token", json={"username": "agent", "password": "guess"})
    assert wrong.status_code == 401
    nobody = api.client.post("/auth/token", json={"username": "nobody", "password": "guess"})
    assert nobody.status_code == 401 and nobody.json() == wrong.json()


def test_roles_are_checked_on_every_endpoint(api: Api):
    assert (
        api.post(
            "urban", "/orders", json={"channel": "phone", "type": "help", "content": "x"}
        ).status_code
        == 403
    )
    assert api.get("agent", "/users").status_code == 403
    assert api.get("urban", "/callbacks").status_code == 403
    assert api.get("agent", "/providers/ranking").status_code == 403
    assert api.get("urban", "/orders", params={"caller_phone": "13800138000"}).status_code == 403
    assert api.post("agent", "/supervision/scan").status_code == 403
    assert api.get("sms-gateway", "/orders").status_code == 403
    assert api.get("sms-gateway", "/kb/search", params={"q": "供暖"}).status_code == 403


def test_a_unit_handler_must_belong_to_a_unit(api: Api):
    response = api.post("admin", "/users", json={
        "username": "orphan", "display_name": "x", "role": "unit_handler",
        "password": "long-enough-password"})  # fmt: skip
    assert response.status_code == 422 and "unit_id" in response.text


def test_a_refused_transition_loses_nothing_already_recorded(api: Api):
    order = api.to_state(api.new_order(), "processing")
    empty = api.post(
        "urban",
        f"/orders/{order['id']}/transitions",
        json={"action": "feedback", "version": order["version"], "note": "  "},
    )
    assert empty.status_code == 409
    after = api.get("lead", f"/orders/{order['id']}").json()
    assert after["state"] == "processing" and after["version"] == order["version"]


def test_naive_timestamps_in_filters_are_refused(api: Api):
    response = api.get("agent", "/orders", params={"created_from": "2026-11-25T08:00:00"})
    assert response.status_code == 422 and "created_from" in response.json()["detail"]
