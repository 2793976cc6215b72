"""What the role pages (issue 14) ask of the API: the actions the transition
table allows this user on this order, the order list's search and filters,
the shift lead's reassign inbox, the number a callback dials, passwords,
and the administrator's edits of the organisation tree and the subjects."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import sqlalchemy as sa

from tests.ticketing.conftest import PASSWORD, Api

ACD = {"Authorization": "Bearer acd-test-token-0123456789"}  # the test settings'


def test_each_user_gets_the_actions_the_transition_table_allows_them(api: Api):
    order = api.new_order()
    # a complaint at intake: registered (answering on the spot is for consultations)
    assert api.get("agent", f"/orders/{order['id']}").json()["actions"] == ["register"]
    assert "merge" in api.get("lead", f"/orders/{order['id']}").json()["actions"]
    dispatched = api.to_state(order, "dispatched")
    assert api.get("urban", f"/orders/{order['id']}").json()["actions"] == [
        "accept",
        "request_reassign",
    ]
    assert "accept" not in api.get("agent", f"/orders/{order['id']}").json()["actions"]
    assert set(api.get("lead", f"/orders/{dispatched['id']}").json()["actions"]) == {
        "reassign",
        "merge",
    }
    consultation = api.new_order(type="consultation")
    assert "answer_on_spot" in api.get("agent", f"/orders/{consultation['id']}").json()["actions"]
    # the list carries them too
    items = api.get("urban", "/orders").json()["items"]
    assert [o["actions"] for o in items] == [["accept", "request_reassign"]]


def test_the_order_list_searches_and_filters_as_the_desk_needs(api: Api, app):
    first = api.new_order(
        content="楼道灯坏了",
        caller={"phone": "13900139001", "address": "和平社区8号楼", "name": "王芳"},
    )
    second = api.new_order(
        content="暖气不热",
        urgency="urgent",
        caller={"phone": "13900139002", "address": "幸福路1号"},
    )

    def numbers(user: str = "agent", **params) -> list[str]:
        answer = api.get(user, "/orders", params=params)
        assert answer.status_code == 200, answer.text
        return [o["number"] for o in answer.json()["items"]]

    assert numbers(q="楼道灯") == [first["number"]]  # content
    assert numbers(q="和平社区") == [first["number"]]  # address
    assert numbers(q="王芳") == [first["number"]]  # caller's name
    assert numbers(q="139 0013 9001") == [first["number"]]  # caller's number, any form
    assert numbers(q=first["number"]) == [first["number"]]
    assert len(numbers(urgency="urgent")) == 1
    # due soon: an open order whose limit ends within the hours given (the
    # urgent one's same-day limit is moved a day out: late in the evening it
    # would be due soon too)
    now = dt.datetime.now(dt.UTC)
    with app.state.sessions.begin() as db_session:
        for order, due in (
            (first, now + dt.timedelta(hours=2)),
            (second, now + dt.timedelta(days=1)),
        ):
            db_session.execute(
                sa.text("UPDATE work_orders SET due_at = :due WHERE id = :id"),
                {"due": due, "id": order["id"]},
            )
    assert numbers(due_within_h=4) == [first["number"]]
    assert numbers(due_within_h=1) == []
    # a unit handler's search does not match callers' numbers (masked for them)
    api.to_state(first, "dispatched")
    assert numbers("urban", q="王芳") == [first["number"]]
    assert numbers("urban", q="13900139001") == []
    assert api.get("agent", "/orders", params={"q": "x" * 65}).status_code == 422


def test_the_shift_lead_decides_reassign_requests_from_one_inbox(api: Api):
    order = api.to_state(api.new_order(), "processing")
    asked = api.post(
        "urban", f"/orders/{order['id']}/reassign-requests", json={"reason": "不属于本单位职责"}
    )
    assert asked.status_code == 201, asked.text
    [item] = api.get("lead", "/reassign-requests").json()
    assert (item["order_number"], item["reason"], item["status"]) == (
        order["number"],
        "不属于本单位职责",
        "pending",
    )
    decided = api.post(
        "lead",
        f"/orders/{order['id']}/reassign-requests/{item['id']}/decision",
        json={
            "approve": True,
            "version": item["order_version"],
            "unit_id": api.units["dept-water"],
            "note": "改派水务",
        },
    )
    assert decided.status_code == 200, decided.text
    assert api.get("lead", "/reassign-requests").json() == []
    assert api.get("agent", "/reassign-requests").status_code == 403


def test_a_callback_dials_the_citizen_with_the_hotline_number(api: Api):
    order = api.to_state(api.new_order(), "closed")
    [task] = api.get("agent", "/callbacks").json()["items"]
    answer = api.post("agent", "/dial-targets", json={"callback_id": task["id"]}).json()
    call_id = answer.pop("call_id")
    assert answer == {"number": "13800138000", "caller_id": "12345"}
    # the call id the seat's leg will have: the callback's recording joins the order
    assert re.fullmatch(r"cb[0-9]{10}\.[0-9]{9}", call_id)
    assert call_id in api.get("agent", f"/orders/{order['id']}").json()["calls"]
    base = f"callback-{call_id.removeprefix('cb').replace('.', '')}"
    reported = api.client.post("/recordings", headers=ACD, json={
        "call_id": call_id, "kind": "callback", "hotline": "12345", "seat": "1003",
        "mixed_file": f"{base}.wav", "citizen_file": f"{base}-citizen.wav",
        "agent_file": f"{base}-agent.wav"})  # fmt: skip
    assert reported.status_code == 201, reported.text
    assert reported.json()["order_ids"] == [order["id"]] and reported.json()["kind"] == "callback"
    audit = api.get("admin", "/audit", params={"target": f"order:{order['id']}"}).json()
    assert any(a["action"] == "dial" and call_id in a["detail"] for a in audit)
    assert api.post("urban", "/dial-targets", json={"callback_id": task["id"]}).status_code == 403
    assert api.post("agent", "/dial-targets", json={}).status_code == 422
    assert api.post("agent", "/dial-targets", json={"callback_id": 999999}).status_code == 404
    api.post("agent", f"/callbacks/{task['id']}/result", json={"grade": "A"}).raise_for_status()
    assert api.post("agent", "/dial-targets", json={"callback_id": task["id"]}).status_code == 409


def test_users_change_their_own_password_and_admins_reset_one(api: Api):
    name = f"pw{uuid.uuid4().hex[:8]}"
    created = api.post(
        "admin",
        "/users",
        json={"username": name, "display_name": "临时", "role": "agent", "password": PASSWORD},
    )
    assert created.status_code == 201, created.text

    def log_in(password: str):
        return api.client.post("/auth/token", json={"username": name, "password": password})

    first, second = log_in(PASSWORD).json()["access_token"], log_in(PASSWORD).json()["access_token"]
    mine = {"Authorization": f"Bearer {first}"}
    other = {"Authorization": f"Bearer {second}"}
    assert api.client.get("/auth/me", headers=other).status_code == 200  # now in the token cache
    wrong = api.client.post(
        "/auth/password",
        headers=mine,
        json={"old_password": "not-it-at-all", "new_password": "x" * 12},
    )
    assert wrong.status_code == 401
    short = api.client.post(
        "/auth/password", headers=mine, json={"old_password": PASSWORD, "new_password": "short"}
    )
    assert short.status_code == 422
    changed = api.client.post(
        "/auth/password",
        headers=mine,
        json={"old_password": PASSWORD, "new_password": "新的密码-2026-11"},
    )
    assert changed.status_code == 204
    # this session goes on; the other one ended, at once
    assert api.client.get("/auth/me", headers=other).status_code == 401
    assert api.client.get("/auth/me", headers=mine).status_code == 200
    assert log_in(PASSWORD).status_code == 401 and log_in("新的密码-2026-11").status_code == 200
    user_id = created.json()["id"]
    reset = api.post("admin", f"/users/{user_id}/password", json={"password": "管理员重置-123456"})
    assert reset.status_code == 204
    assert api.client.get("/auth/me", headers=mine).status_code == 401  # every session ended
    assert log_in("管理员重置-123456").status_code == 200
    assert (
        api.post("agent", f"/users/{user_id}/password", json={"password": "x" * 12}).status_code
        == 403
    )


def test_admins_grow_the_organisation_tree_and_the_subjects(api: Api):
    code = f"cm-new{uuid.uuid4().hex[:6]}"
    street = api.units["st-dongcheng"]
    unit = api.post(
        "admin",
        "/units",
        json={"code": code, "name": "新建社区", "kind": "community", "parent_id": street},
    )
    assert unit.status_code == 201, unit.text
    assert (
        api.post(
            "admin",
            "/units",
            json={"code": code, "name": "重复", "kind": "community", "parent_id": street},
        ).status_code
        == 409
    )
    moved = api.patch("admin", f"/units/{unit.json()['id']}", json={"name": "新建社区二"})
    assert moved.json()["name"] == "新建社区二" and moved.json()["parent_id"] == street
    loop = api.patch("admin", f"/units/{street}", json={"parent_id": unit.json()["id"]})
    assert loop.status_code == 422  # a street under its own community
    assert "不能把单位移到它自己的下级" in loop.text
    # the subjects it takes, alone: the name stays
    taken = api.patch("admin", f"/units/{unit.json()['id']}", json={"categories": ["water"]})
    assert taken.status_code == 200, taken.text
    assert (taken.json()["categories"], taken.json()["name"]) == (["water"], "新建社区二")
    subject = f"sub{uuid.uuid4().hex[:6]}"
    assert (
        api.post("admin", "/subjects", json={"code": subject, "name": "新分类"}).status_code == 201
    )
    assert (
        api.patch("admin", f"/subjects/{subject}", json={"name": "改名"}).json()["name"] == "改名"
    )
    assert subject in {s["code"] for s in api.get("agent", "/subjects").json()}
    assert api.post("agent", "/subjects", json={"code": "x1", "name": "x"}).status_code == 403


def test_duplicate_candidates_stand_side_by_side_until_merged(api: Api):
    first = api.new_order(
        content="小区门口路灯不亮", caller={"phone": "13700137001", "address": "安宁社区1号"}
    )
    second = api.new_order(
        content="门口的路灯又坏了", caller={"phone": "13700137001", "address": "安宁社区1号"}
    )
    [pair] = api.get("lead", "/duplicate-candidates").json()
    assert (pair["order"]["id"], pair["other"]["id"]) == (second["id"], first["id"])
    assert pair["reasons"] == ["same_address", "same_caller"]
    assert pair["order"]["content"] == "门口的路灯又坏了"
    merged = api.post(
        "lead",
        f"/orders/{second['id']}/merge",
        json={"into_order_id": first["id"], "version": pair["order"]["version"]},
    )
    assert merged.status_code == 200, merged.text
    assert api.get("lead", "/duplicate-candidates").json() == []
    assert api.get("agent", "/duplicate-candidates").status_code == 403


def test_the_knowledge_base_lists_every_article_for_its_editors(api: Api):
    made = api.post(
        "admin", "/kb", json={"title": "供暖期时间", "body": "每年11月15日至次年3月15日"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["id"] in [a["id"] for a in api.get("admin", "/kb").json()]
    assert api.get("agent", "/kb").status_code == 403
