"""The same phone in another form is the same caller: for the elder
registry, the SOS device list, and looking orders up by caller."""

from __future__ import annotations

from tests.ticketing.conftest import Api

ACD = {"Authorization": "Bearer acd-test-token-0123456789"}


def test_an_elder_registered_with_plus_86_is_found_by_the_national_number(api: Api):
    body = {"name": "李桂兰", "numbers": ["+86 139 0000 1235"], "community": "幸福社区"}
    elder = api.post("lead", "/elders", json=body)
    assert elder.status_code == 201 and elder.json()["numbers"] == ["13900001235"]
    found = api.get("agent", "/elders/lookup", params={"number": "13900001235"})
    assert found.status_code == 200 and found.json()["name"] == "李桂兰"
    also = api.get("agent", "/elders/lookup", params={"number": "008613900001235"})
    assert also.status_code == 200
    assert "13900001235" in api.client.get("/elders/devices", headers=ACD).json()
    # the same phone in another form is the same number: no second elder with it
    clash = api.post("lead", "/elders", json={**body, "numbers": ["013900001235"]})
    assert clash.status_code == 409


def test_orders_are_found_by_caller_whatever_the_form(api: Api):
    order = api.new_order(caller={"phone": "+8613800138000"})
    assert order["caller"]["phone"] == "13800138000"
    found = api.get("agent", "/orders", params={"caller_phone": "8613800138000"}).json()
    assert [o["id"] for o in found["items"]] == [order["id"]]
    bad = api.get("agent", "/orders", params={"caller_phone": "not-a-number"})
    assert bad.status_code == 422
