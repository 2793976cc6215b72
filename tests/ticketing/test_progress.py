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


ACD = {"Authorization": "Bearer acd-test-token-0123456789"}


def test_missed_calls_are_recorded_once_and_called_back(api: Api):
    report = {"call_id": "1795.42", "caller": "13700001111", "hotline": "12345",
              "queue": "hotline", "waited_s": 48, "reason": "abandoned"}  # fmt: skip
    first = api.client.post("/missed-calls", json=report, headers=ACD)
    again = api.client.post("/missed-calls", json=report, headers=ACD)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["caller"] == "137****1111"  # the reporter needs no number back
    pending = api.get("agent", "/missed-calls").json()
    assert [(m["call_id"], m["caller"]) for m in pending] == [("1795.42", "13700001111")]
    done = api.post("agent", f"/missed-calls/{pending[0]['id']}/done",
                    json={"note": "已回拨, 市民已自行解决"})  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert api.get("agent", "/missed-calls").json() == []
    assert api.post("agent", f"/missed-calls/{pending[0]['id']}/done",
                    json={"note": "again"}).status_code == 409  # fmt: skip


def test_the_acd_token_reports_missed_calls_and_reads_nothing(api: Api):
    assert api.client.get("/orders", headers=ACD).status_code == 403
    assert api.client.get("/missed-calls", headers=ACD).status_code == 403
    bad = api.client.post("/missed-calls", headers=ACD, json={"call_id": "x", "reason": "bored"})
    assert bad.status_code == 422
    assert api.post("agent", "/missed-calls", json={"call_id": "y", "reason": "abandoned"}
                    ).status_code == 403  # fmt: skip
