"""Deadline scanning, channel intake with idempotency, the knowledge base."""

from __future__ import annotations

import threading

from sqlalchemy import text

from tests.ticketing.conftest import Api


def make_late(engine, order_id: int, days_late: int) -> None:
    """Move an order's clock back as if it had been taken long ago."""
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE work_orders SET created_at = now() - make_interval(days => :d + 5), "
            "due_at = now() - make_interval(days => :d) WHERE id = :id"),
            {"d": days_late, "id": order_id})  # fmt: skip


def test_overdue_orders_raise_supervision_once_and_closing_resolves_it(api: Api, engine):
    late = api.to_state(api.new_order(), "processing")
    on_time = api.new_order(content="路灯不亮", subject_code="municipal.road")
    make_late(engine, late["id"], days_late=5)
    assert api.post("lead", "/supervision/scan").json() == {"raised": 3}
    ledger = api.get("lead", "/supervision").json()
    assert {i["order_id"] for i in ledger} == {late["id"]}
    assert [i["name"] for i in ledger] == ["督查室督办", "联合督办", "平台督办"]
    assert api.post("lead", "/supervision/scan").json() == {"raised": 0}
    assert api.get("urban", "/supervision").json()[0]["order_id"] == late["id"]
    assert api.get("water", "/supervision").json() == []
    listed = api.get("agent", "/orders", params={"overdue": True}).json()
    assert [o["id"] for o in listed["items"]] == [late["id"]]
    assert on_time["id"] not in [o["id"] for o in listed["items"]]
    order = api.get("lead", f"/orders/{late['id']}").json()
    api.to_state(order, "closed")
    assert api.get("lead", "/supervision").json() == []
    assert len(api.get("lead", "/supervision", params={"open_only": False}).json()) == 3


def test_sms_delivered_twice_makes_one_order(api: Api):
    body = {
        "phone": "13700001111",
        "content": "小区门口有很多野广告",
        "subject_code": "municipal.ads",
    }
    headers = {**api.as_("sms-gateway"), "Idempotency-Key": "sms-20261125-0001"}
    first = api.client.post("/intake/sms", json=body, headers=headers)
    retry = api.client.post("/intake/sms", json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["id"] == retry.json()["id"] and first.json()["channel"] == "sms"
    assert first.json()["caller"]["phone"] == "137****1111"  # a gateway needs no numbers back
    assert api.get("agent", "/orders", params={"channel": "sms"}).json()["total"] == 1


def test_a_delivery_racing_its_own_retry_still_makes_one_order(api: Api):
    headers = {**api.as_("sms-gateway"), "Idempotency-Key": "wechat-msg-77"}
    codes: list[int] = []

    def deliver() -> None:
        codes.append(
            api.client.post(
                "/intake/wechat", headers=headers, json={"content": "楼道灯坏了"}
            ).status_code
        )

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 200, 200, 201]
    assert api.get("agent", "/orders", params={"channel": "wechat"}).json()["total"] == 1


def test_intake_needs_a_key_and_the_gateway_role(api: Api):
    body = {"content": "网上留言"}
    no_key = api.client.post("/intake/web", json=body, headers=api.as_("sms-gateway"))
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.text
    wrong_role = api.client.post(
        "/intake/web", json=body, headers={**api.as_("urban"), "Idempotency-Key": "k-123456789"}
    )
    assert wrong_role.status_code == 403
    unknown = api.client.post(
        "/intake/fax",
        json=body,
        headers={**api.as_("sms-gateway"), "Idempotency-Key": "k-12345678"},
    )
    assert unknown.status_code == 422


def test_knowledge_base_finds_chinese_articles_by_segmented_words(api: Api):
    heating = api.post("lead", "/kb", json={
        "title": "供暖期室温不达标怎么办",
        "body": "供暖期内居民家中暖气不热、室温低于18度, 可向供热单位报修;"
                " 逾期未修复的可申请退费。",
        "subject_code": "heating"}).json()  # fmt: skip
    api.post(
        "lead", "/kb", json={"title": "居住证办理", "body": "持身份证到社区服务站申请居住证。"}
    )
    found = api.get("agent", "/kb/search", params={"q": "家里暖气不热找谁"}).json()
    assert [a["id"] for a in found] == [heating["id"]]
    assert api.get("agent", "/kb/search", params={"q": "居住证"}).json()[0]["title"] == "居住证办理"
    assert api.get("agent", "/kb/search", params={"q": "火星移民"}).json() == []
    api.client.put(
        f"/kb/{heating['id']}",
        headers=api.as_("lead"),
        json={"title": "供暖退费", "body": "退费按天计算。"},
    )
    assert api.get("agent", "/kb/search", params={"q": "暖气不热"}).json() == []
    assert api.get("agent", "/kb/search", params={"q": "退费"}).json()[0]["id"] == heating["id"]
    assert api.post("agent", "/kb", json={"title": "x", "body": "y"}).status_code == 403
    hostile = api.get("agent", "/kb/search", params={"q": "供暖' & !退费 | ("})
    assert hostile.status_code == 200


def test_knowledge_base_keeps_words_jieba_has_no_dictionary_for_whole(api: Api):
    """Hangul words (the test calls' speech) are words, not single letters."""
    body = {"title": "도로 파손 신고", "body": "도로에 구멍이 있으면 접수합니다"}
    road = api.post("lead", "/kb", json=body).json()
    found = api.get("agent", "/kb/search", params={"q": "여기 구멍이 있어요"}).json()
    assert [a["id"] for a in found] == [road["id"]]
    # one shared letter is not a match: 구멍 is not 구름
    assert api.get("agent", "/kb/search", params={"q": "구름이 많아요"}).json() == []


def test_attachments_are_stored_with_their_digest(api: Api):
    order = api.new_order()
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    added = api.client.post(
        f"/orders/{order['id']}/attachments",
        content=photo,
        params={"filename": "现场照片.png"},
        headers={**api.as_("agent"), "Content-Type": "image/png"},
    )
    assert added.status_code == 201 and added.json()["size"] == len(photo)
    listed = api.get("agent", f"/orders/{order['id']}/attachments").json()
    assert listed[0]["filename"] == "现场照片.png"
    empty = api.client.post(
        f"/orders/{order['id']}/attachments",
        content=b"",
        params={"filename": "x"},
        headers=api.as_("agent"),
    )
    assert empty.status_code == 422
