"""What one request can make the service do: bodies bounded in shape before
any schema runs, errors bounded in size and free of the input, and text no
encoder can write refused with a 4xx on every operation that takes JSON."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.ticketing.conftest import Api

LONE_SURROGATE = b'{"content": "\\u8bf7\\u56de\\u753513822223333 \\ud800", "username": "\\ud800"}'


def _json_operations(app) -> list[tuple[str, str]]:
    """(method, path) of every operation whose body is JSON, path ids as 1."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_ninety_thousand_unknown_keys_are_refused_before_validation_in_a_short_answer(api: Api):
    body = json.dumps({f"{n:x}": 0 for n in range(90_000)} | {"username": "a", "password": "b"})
    response = api.client.post(
        "/auth/token", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert len(response.content) < 1000
    assert "200 个字段" in response.json()["detail"]


def test_a_huge_list_and_deep_nesting_are_refused_by_shape(api: Api):
    huge = json.dumps({"assist_unit_ids": [0] * 480_000}, separators=(",", ":"))
    response = api.client.post(
        "/orders", content=huge, headers={**api.as_("agent"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "个值" in response.json()["detail"]
    deep = "[" * 40 + "]" * 40
    response = api.client.post(
        "/orders", content=deep, headers={**api.as_("agent"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "嵌套" in response.json()["detail"]


def test_a_schema_error_answer_is_bounded_and_never_echoes_the_input(api: Api):
    # within the shape limits, but every item is wrong: 150 errors in pydantic
    body = {
        "channel": "phone",
        "type": "complaint",
        "subject_code": "heating",
        "content": "请回电13822223333",
        "caller": {"phone": "13822223333"},
        "assist_unit_ids": ["x"] * 150,
        "extra": "13822223333",
    }
    response = api.post("agent", "/orders", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list) and 0 < len(detail) <= 10
    assert "13822223333" not in response.text
    assert all(set(item) == {"loc", "msg", "type"} for item in detail)


@pytest.mark.parametrize("token", [True, False], ids=["logged-in", "anonymous"])
def test_a_lone_surrogate_is_a_clear_422_on_every_json_operation_and_logs_no_number(
    api: Api, app, caplog, token
):
    operations = _json_operations(app)
    assert len(operations) >= 20
    headers = {"Content-Type": "application/json", **(api.as_("admin") if token else {})}
    caplog.set_level(logging.DEBUG)
    for method, path in operations:
        response = api.client.request(method, path, content=LONE_SURROGATE, headers=headers)
        assert response.status_code == 422, (method, path, response.text[:200])
        assert "代理字符" in response.json()["detail"]
    assert "13822223333" not in caplog.text
    assert "Traceback" not in caplog.text


def test_a_body_without_a_content_type_is_checked_like_json(api: Api):
    response = api.client.post("/auth/token", content=LONE_SURROGATE)
    assert response.status_code == 422


def test_a_unit_handler_cannot_rebuild_a_masked_number_by_prefix_searches(api: Api):
    order = api.new_order(content="请回电13822223333, 楼道灯坏了")
    order = api.to_state(order, "dispatched")
    for prefix in ("138", "1382", "13822", "138 2222", "１３８２２２"):
        page = api.get("urban", "/orders", params={"q": prefix}).json()
        assert page["total"] == 0, prefix
    assert api.get("urban", "/orders", params={"q": "138 2222 3333"}).json()["total"] == 1
    assert api.get("urban", "/orders", params={"q": "楼道灯"}).json()["total"] == 1
    # the center searches as before
    assert api.get("agent", "/orders", params={"q": "13822"}).json()["total"] == 1


def test_leaders_and_administrators_see_no_names_or_addresses(api: Api):
    order = api.new_order(caller={"phone": "13800138000", "name": "张三", "address": "幸福路12号"})
    for user in ("leader", "admin"):
        caller = api.get(user, f"/orders/{order['id']}").json()["caller"]
        assert caller["name"] is None and caller["address"] is None, user
    assert api.get("agent", f"/orders/{order['id']}").json()["caller"]["name"] == "张三"


def test_null_for_a_type_or_urgency_is_a_clear_422_not_a_500(api: Api):
    order = api.new_order()
    for field in ("type", "urgency"):
        answer = api.patch(
            "agent", f"/orders/{order['id']}", json={"version": order["version"], field: None}
        )
        assert answer.status_code == 422 and "不能为 null" in answer.text, answer.text


def test_a_five_thousand_digit_range_is_refused_not_a_500():
    from ticketing.recordings.files import BadRange, byte_range

    with pytest.raises(BadRange):
        byte_range("bytes=" + "9" * 5000 + "-", 1000)


def test_two_merges_crossing_each_other_do_not_deadlock(api: Api):
    from concurrent.futures import ThreadPoolExecutor

    a, b = api.new_order(), api.new_order(content="另一件事")
    a, b = api.step("agent", a, "register"), api.step("agent", b, "register")

    def merge(one: dict, other: dict) -> int:
        body = {"into_order_id": other["id"], "version": one["version"], "note": "重复"}
        return api.post("lead", f"/orders/{one['id']}/merge", json=body).status_code

    for _ in range(4):
        with ThreadPoolExecutor(2) as pool:
            answers = sorted(pool.map(lambda pair: merge(*pair), [(a, b), (b, a)]))
        assert 503 not in answers, answers
        if 200 in answers:
            break


def test_a_wrong_method_is_405_and_a_number_is_no_moment(api: Api):
    answer = api.client.put("/kb/search", headers=api.as_("admin"))
    assert answer.status_code == 405 and "GET" in answer.headers["allow"]
    loose = api.get("agent", "/orders", params={"created_to": "0.5"})
    assert loose.status_code == 422 and "ISO 8601" in loose.text
    assert (
        api.get("agent", "/orders", params={"created_to": "2026-11-25T08:00:00+08:00"}).status_code
        == 200
    )


def test_the_schema_declares_503_everywhere_and_429_where_passwords_are_checked(app):
    paths = app.openapi()["paths"]
    for path, item in paths.items():
        for operation in item.values():
            assert "503" in operation["responses"], path
    for path in ("/auth/token", "/auth/password", "/users", "/users/{user_id}/password"):
        assert "429" in paths[path]["post"]["responses"], path


def test_leaders_and_administrators_cannot_attach_files(api: Api):
    order = api.new_order()
    for user in ("leader", "admin"):
        answer = api.client.post(
            f"/orders/{order['id']}/attachments",
            params={"filename": "a.txt"},
            content=b"x",
            headers={**api.as_(user), "Content-Type": "text/plain"},
        )
        assert answer.status_code == 403, (user, answer.text)
    mine = api.client.post(
        f"/orders/{order['id']}/attachments",
        params={"filename": "a.txt"},
        content=b"x",
        headers={**api.as_("agent"), "Content-Type": "text/plain"},
    )
    assert mine.status_code == 201, mine.text


def test_answers_are_not_cached_nor_sniffed(api: Api):
    answer = api.get("agent", "/orders")
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
