"""Key 1 of the voice menu: a work order's stage by the number the citizen quotes."""

from __future__ import annotations

from tests.ticketing.conftest import IVR_TOKEN, Api

IVR = {"Authorization": f"Bearer {IVR_TOKEN}"}


def test_the_ivr_reads_a_stage_and_nothing_personal(api: Api):
    order = api.to_state(api.new_order(), "processing")
    response = api.client.get(f"/progress/{order['number']}", headers=IVR)
    assert response.status_code == 200
    assert response.json() == {"number": order["number"], "state": "processing", "closed": False}
    assert "13800138000" not in response.text and "幸福路" not in response.text


def test_the_ivr_token_opens_nothing_else(api: Api):
    order = api.new_order()
    assert api.client.get(f"/orders/{order['id']}", headers=IVR).status_code == 403
    assert api.client.get("/orders", headers=IVR).status_code == 403
    assert api.client.get("/auth/me", headers=IVR).status_code == 404


def test_unknown_and_malformed_numbers(api: Api):
    assert api.client.get("/progress/20261125-999999", headers=IVR).status_code == 404
    assert api.client.get("/progress/2026-1", headers=IVR).status_code == 422
    assert api.client.get("/progress/20261125-000001").status_code == 401
