"""The elder registry (who may see health data) and the SOS call record."""

from __future__ import annotations

from tests.ticketing.conftest import Api

ACD = {"Authorization": "Bearer acd-test-token-0123456789"}
PROFILE = {
    "name": "王秀英", "age": 82, "numbers": ["13900001234", "02388880001"],
    "address": "幸福路 8 号 3 单元 201", "latitude": 29.56, "longitude": 106.55,
    "conditions": "冠心病, 高血压", "medicines": "硝酸甘油",
    "contacts": [{"name": "李明", "relation": "儿子", "phone": "13700009999"}],
    "community": "幸福社区", "grid": "第三网格", "worker_name": "张敏",
    "worker_phone": "13600006666",
}  # fmt: skip


def register(api: Api, **changes) -> dict:
    response = api.post("lead", "/elders", json={**PROFILE, **changes})
    assert response.status_code == 201, response.text
    return response.json()


def test_health_data_only_for_the_center(api: Api):
    elder = register(api)
    agent = api.get("agent", "/elders/lookup", params={"number": "13900001234"}).json()
    assert agent["conditions"] == "冠心病, 高血压" and agent["medicines"] == "硝酸甘油"
    assert agent["contacts"][0]["phone"] == "13700009999"
    # the elder's own community sees who and where, never health data
    handler = api.get("xingfu", f"/elders/{elder['id']}").json()
    assert handler["conditions"] is None and handler["medicines"] is None
    assert handler["contacts"][0]["phone"] == "137****9999"
    assert "13900001234" not in str(handler["numbers"])
    # any other unit does not see the elder at all
    assert api.get("urban", f"/elders/{elder['id']}").status_code == 404
    assert api.get("anjia", f"/elders/{elder['id']}").status_code == 404
    # unit handlers may read a profile, not look numbers up or keep the registry
    assert api.get("xingfu", "/elders/lookup", params={"number": "13900001234"}).status_code == 403
    assert api.post("agent", "/elders", json=PROFILE).status_code == 403


def test_a_number_belongs_to_one_elder(api: Api):
    register(api)
    other = {**PROFILE, "name": "赵一", "numbers": ["13900001234"]}
    clash = api.post("lead", "/elders", json=other)
    assert clash.status_code == 409
    assert api.get("agent", "/elders/lookup", params={"number": "13911112222"}).status_code == 404
    assert api.post("lead", "/elders", json={**PROFILE, "numbers": []}).status_code == 422


def test_the_acd_reads_device_numbers_and_contact_numbers_only(api: Api):
    elder = register(api)
    assert api.client.get("/elders/devices", headers=ACD).json() == ["02388880001", "13900001234"]
    contacts = api.client.get("/elders/contacts", params={"number": "13900001234"}, headers=ACD)
    assert contacts.json() == [{"phone": "13700009999"}]
    assert api.client.get(f"/elders/{elder['id']}", headers=ACD).status_code == 403
    assert api.get("agent", "/elders/devices").status_code == 403


def test_an_sos_call_makes_one_emergency_order_with_its_timeline(api: Api):
    register(api)
    steps = [
        {"kind": "start", "at": 1795000000.1, "caller": "13900001234", "hotline": "12349",
         "recording": "sos-1795000000123.wav", "known": True},
        {"kind": "offered", "at": 1795000000.2, "seat": "1002"},
        {"kind": "answered", "at": 1795000003.0, "seat": "1002"},
        {"kind": "joined", "at": 1795000009.0, "detail": "120 加入三方通话"},
    ]  # fmt: skip
    for step in steps:
        response = api.client.post("/sos-calls/events", json={"call_id": "1795000000.123", **step},
                                   headers=ACD)  # fmt: skip
        assert response.status_code == 201, response.text
    repeat = api.client.post("/sos-calls/events", headers=ACD,
                             json={"call_id": "1795000000.123", **steps[1]})  # fmt: skip
    assert repeat.status_code == 200
    record = api.get("agent", "/sos-calls/1795000000.123").json()
    assert [s["kind"] for s in record["timeline"]] == ["start", "offered", "answered", "joined"]
    assert record["elder"]["name"] == "王秀英" and record["follow_up"] is False
    assert record["recording"] == "sos-1795000000123.wav"
    order = api.get("agent", f"/orders/{record['order_id']}").json()
    assert order["urgency"] == "urgent" and order["subject_code"] == "elderly.sos"
    assert order["caller"]["address"].startswith("幸福路")
    # health data stays in the profile: the order's text reaches the units
    dispatched = api.to_state(order, "processing", unit="dept-urban")
    seen = api.get("urban", f"/orders/{dispatched['id']}").json()
    assert "冠心病" not in seen["content"] and "硝酸甘油" not in seen["content"]
    assert "冠心病" not in order["content"]


def test_an_unknown_caller_is_an_emergency_flagged_for_follow_up(api: Api):
    # the call ended before any step but the last reached the service
    response = api.client.post("/sos-calls/events", headers=ACD, json={
        "call_id": "1795000100.7", "kind": "ended", "at": 1795000130.0,
        "caller": "13122223333"})  # fmt: skip
    assert response.status_code == 201
    record = api.get("lead", "/sos-calls/1795000100.7").json()
    assert record["follow_up"] is True and record["elder"]["name"] == "未登记"
    # an emergency that time, but the number does not become an SOS device
    assert "13122223333" not in api.client.get("/elders/devices", headers=ACD).json()
    assert record["elder"]["unconfirmed_numbers"] == ["13122223333"]
    elder_id = record["elder"]["id"]
    assert api.post("agent", f"/elders/{elder_id}/confirm").status_code == 403
    confirmed = api.post("lead", f"/elders/{elder_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["unconfirmed_numbers"] == []
    assert "13122223333" in api.client.get("/elders/devices", headers=ACD).json()
    # deactivated: its numbers stop routing as SOS
    assert api.post("lead", f"/elders/{elder_id}/deactivate").json()["active"] is False
    assert "13122223333" not in api.client.get("/elders/devices", headers=ACD).json()
    bad = api.client.post("/sos-calls/events", headers=ACD,
                          json={"call_id": "x", "kind": "exploded", "at": 1})  # fmt: skip
    assert bad.status_code == 422
    assert api.get("urban", "/sos-calls/1795000100.7").status_code == 403
