"""The seven-step loop, its permissions, and its event log, on PostgreSQL."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.ticketing.conftest import Api


def events(api: Api, order: dict) -> list[tuple]:
    rows = api.get("lead", f"/orders/{order['id']}/events").json()
    return [(e["action"], e["from_state"], e["to_state"]) for e in rows]


def test_complaint_walks_the_seven_steps_and_every_step_is_logged(api: Api):
    order = api.new_order()
    assert re.fullmatch(r"\d{8}-000001", order["number"])
    assert order["state"] == "intake" and order["due_at"] > order["created_at"]
    order = api.to_state(order, "closed")
    callback = api.get("agent", "/callbacks").json()["items"][0]
    assert callback["order_id"] == order["id"]
    done = api.post("agent", f"/callbacks/{callback['id']}/result", json={"verdict": "satisfied"})
    assert done.status_code == 200
    assert api.get("agent", f"/orders/{order['id']}").json()["state"] == "evaluated"
    assert events(api, order) == [
        ("intake", None, "intake"), ("register", "intake", "case"),
        ("dispatch", "case", "dispatched"), ("accept", "dispatched", "processing"),
        ("feedback", "processing", "feedback"), ("close", "feedback", "closed"),
        ("evaluate", "closed", "evaluated"),
    ]  # fmt: skip
    actors = {e["actor_id"] for e in api.get("lead", f"/orders/{order['id']}/events").json()}
    assert None not in actors and len(actors) == 3  # agent, unit handler, shift lead


def test_consultation_answered_on_the_spot_closes_at_intake(api: Api):
    order = api.new_order(type="consultation", content="居住证怎么办理")
    closed = api.step("agent", order, "answer_on_spot", note="已告知办理流程")
    assert closed["state"] == "closed"
    assert api.get("agent", "/callbacks").json()["total"] == 1


def test_only_consultations_can_close_at_intake(api: Api):
    order = api.new_order(type="complaint")
    refused = api.post(
        "agent",
        f"/orders/{order['id']}/transitions",
        json={"action": "answer_on_spot", "version": 1},
    )
    assert refused.status_code == 409
    assert "咨询" in refused.json()["detail"]


def test_invalid_transition_answers_409_with_the_reason_and_changes_nothing(api: Api):
    order = api.new_order()
    refused = api.post(
        "lead", f"/orders/{order['id']}/transitions", json={"action": "close", "version": 1}
    )
    assert refused.status_code == 409
    assert "intake" in refused.json()["detail"]
    assert api.get("agent", f"/orders/{order['id']}").json()["version"] == 1
    assert events(api, order) == [("intake", None, "intake")]


def test_a_unit_handler_neither_sees_nor_acts_on_another_units_order(api: Api):
    order = api.to_state(api.new_order(), "dispatched")
    assert api.get("water", f"/orders/{order['id']}").status_code == 404
    assert api.get("water", "/orders").json()["total"] == 0
    assert api.get("urban", "/orders").json()["total"] == 1
    refused = api.post(
        "water",
        f"/orders/{order['id']}/transitions",
        json={"action": "accept", "version": order["version"]},
    )
    assert refused.status_code == 404


def test_an_agent_cannot_do_a_units_work(api: Api):
    order = api.to_state(api.new_order(), "dispatched")
    refused = api.post(
        "agent",
        f"/orders/{order['id']}/transitions",
        json={"action": "accept", "version": order["version"]},
    )
    assert refused.status_code == 403


def test_phone_number_is_masked_for_unit_handlers_and_reads_are_audited(api: Api):
    order = api.to_state(api.new_order(), "dispatched")
    assert api.get("agent", f"/orders/{order['id']}").json()["caller"]["phone"] == "13800138000"
    seen = api.get("urban", f"/orders/{order['id']}").json()["caller"]["phone"]
    assert seen == "138****8000"
    trail = api.get("admin", "/audit", params={"target": f"order:{order['id']}"}).json()
    readers = {(a["action"], a["user_id"]) for a in trail}
    assert ("read", None) not in readers
    assert sum(1 for a in trail if a["action"] == "read") == 2


def test_a_stale_version_answers_409_and_the_first_change_stands(api: Api):
    order = api.new_order()
    first = api.post(
        "agent", f"/orders/{order['id']}/transitions", json={"action": "register", "version": 1}
    )
    second = api.post(
        "agent2",
        f"/orders/{order['id']}/transitions",
        json={"action": "register", "version": 1, "note": "重复操作"},
    )
    assert first.status_code == 200 and second.status_code == 409
    assert "版本" in second.json()["detail"]
    assert events(api, order) == [("intake", None, "intake"), ("register", "intake", "case")]


def test_concurrent_dispatches_of_one_order_let_exactly_one_through(api: Api):
    order = api.to_state(api.new_order(), "case")
    codes: list[int] = []
    targets = ["dept-urban", "dept-water", "dept-urban", "dept-water"]

    def dispatch(unit: str) -> None:
        response = api.post(
            "lead",
            f"/orders/{order['id']}/transitions",
            json={"action": "dispatch", "version": order["version"], "unit_id": api.units[unit]},
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=dispatch, args=(u,)) for u in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409, 409, 409]
    assert [e[0] for e in events(api, order)].count("dispatch") == 1


def test_numbers_stay_unique_and_gapless_when_agents_create_at_once(api: Api):
    numbers: list[str] = []

    def create() -> None:
        for _ in range(5):
            numbers.append(api.new_order()["number"])

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sequence = sorted(int(n.split("-")[1]) for n in numbers)
    assert sequence == list(range(1, 21))


def test_units_cannot_return_orders_they_ask_the_center_which_reassigns(api: Api):
    order = api.to_state(api.new_order(), "processing")
    no_return = api.post(
        "urban",
        f"/orders/{order['id']}/transitions",
        json={"action": "dispatch", "version": order["version"]},
    )
    assert no_return.status_code == 403
    ask = api.post(
        "urban",
        f"/orders/{order['id']}/reassign-requests",
        json={"reason": "属于供水管网问题, 非本单位职责"},
    )
    assert ask.status_code == 201
    still = api.get("urban", f"/orders/{order['id']}").json()
    assert still["state"] == "processing" and still["unit_id"] == api.units["dept-urban"]
    by_agent = api.post(
        "agent",
        f"/orders/{order['id']}/reassign-requests/{ask.json()['id']}/decision",
        json={"approve": True, "version": still["version"], "unit_id": api.units["dept-water"]},
    )
    assert by_agent.status_code == 403
    decided = api.post(
        "lead",
        f"/orders/{order['id']}/reassign-requests/{ask.json()['id']}/decision",
        json={"approve": True, "version": still["version"], "unit_id": api.units["dept-water"]},
    )
    assert decided.status_code == 200
    assert decided.json()["state"] == "dispatched"
    assert decided.json()["unit_id"] == api.units["dept-water"]
    assert api.get("urban", f"/orders/{order['id']}").status_code == 404
    assert [e[0] for e in events(api, order)][-2:] == ["request_reassign", "reassign"]


def test_assisting_unit_sees_the_order_but_only_the_main_unit_answers(api: Api):
    order = api.to_state(api.new_order(), "case")
    order = api.step(
        "lead",
        order,
        "dispatch",
        unit_id=api.units["dept-urban"],
        assist_unit_ids=[api.units["dept-water"]],
    )
    assert order["assist_unit_ids"] == [api.units["dept-water"]]
    assert api.get("water", f"/orders/{order['id']}").status_code == 200
    refused = api.post(
        "water",
        f"/orders/{order['id']}/transitions",
        json={"action": "accept", "version": order["version"]},
    )
    assert refused.status_code == 403


def test_unsatisfied_callback_reopens_to_the_same_unit_and_scores_the_provider(api: Api):
    order = api.new_order(type="help", subject_code="household.plumbing", content="下水道堵了")
    order = api.to_state(order, "closed", unit="sp-tongda")
    task = api.get("agent", "/callbacks").json()["items"][0]
    no_reason = api.post("agent", f"/callbacks/{task['id']}/result", json={"grade": "C"})
    assert no_reason.status_code == 422
    done = api.post(
        "agent",
        f"/callbacks/{task['id']}/result",
        json={"grade": "C", "note": "价格偏高, 仍未疏通"},
    )
    assert done.json()["verdict"] == "unsatisfied"
    reopened = api.get("agent", f"/orders/{order['id']}").json()
    assert reopened["state"] == "processing"
    assert reopened["unit_id"] == api.units["sp-tongda"] and reopened["reopen_count"] == 1
    assert events(api, order)[-1] == ("reopen", "closed", "processing")
    again = api.post("agent", f"/callbacks/{task['id']}/result", json={"grade": "A"})
    assert again.status_code == 409
    ranking = api.get("lead", "/providers/ranking", params={"bottom": 1}).json()
    assert ranking[0]["unit"]["code"] == "sp-tongda" and ranking[0]["unsatisfied"] == 1
    # per year: this year's callbacks count, last year's list is clean
    import datetime as dt

    year = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year
    this = api.get("lead", "/providers/ranking", params={"bottom": 1, "year": year}).json()
    assert this[0]["unit"]["code"] == "sp-tongda" and this[0]["unsatisfied"] == 1
    last = api.get("lead", "/providers/ranking", params={"year": year - 1}).json()
    assert all(p["callbacks"] == 0 and p["score"] == 1.0 for p in last)


def test_one_call_can_raise_several_unrelated_orders(api: Api):
    call = {"call_id": "1732512345.42", "recording": "1732512345.42.wav"}
    first = api.new_order(call=call, subject_code="heating")
    second = api.new_order(
        call=call, type="consultation", subject_code="policy", content="居住证怎么办理"
    )
    for order in (first, second):
        assert api.get("agent", f"/orders/{order['id']}").json()["calls"] == [call["call_id"]]


def test_the_create_answer_shows_what_reading_the_order_back_shows(api: Api):
    """The create answers from what it made (bench (p)), never a different picture."""
    call = {"call_id": "1732512345.77", "recording": "1732512345.77.wav", "transcript": "暖气不热"}
    api.new_order(caller={"phone": "13900000077", "address": "和平街 3 号"})
    api.new_order(caller={"phone": "13900000077", "address": "和平街3号"})
    made = api.new_order(call=call, caller={"phone": "13900000077", "address": "和平街3号"})
    read = api.get("agent", f"/orders/{made['id']}").json()
    assert len(made["related"]) == 4  # two orders, each by caller and by address
    for field in ("number", "related", "calls", "transcripts", "assist_unit_ids", "actions"):
        assert made[field] == read[field], field


def test_each_related_rule_links_what_it_should_and_nothing_else(api: Api):
    """Same caller, same address, and the same subject at the same place (the
    first characters of the address name the compound) with another address."""

    def order(phone: str, address: str, subject: str = "heating") -> dict:
        return api.new_order(subject_code=subject, caller={"phone": phone, "address": address})

    def reasons(made: dict) -> set[tuple[int, str]]:
        return {(r["order_id"], r["reason"]) for r in made["related"]}

    first = order("13911110001", "幸福家园小区3号楼2单元")
    assert first["related"] == []
    neighbour = order("13911110002", "幸福家园小区3号楼5单元")
    assert reasons(neighbour) == {(first["id"], "same_subject")}
    assert reasons(order("13911110003", "幸福家园小区3号楼6单元", "water")) == set()
    assert reasons(order("13911110004", "和平里小区1号楼")) == set()
    again = order("13911110001", "别处大街1号", "water")
    assert reasons(again) == {(first["id"], "same_caller")}
    # a wildcard in the address is text, never a pattern: the key drops it
    odd = order("13911110005", "幸福家园小%3号楼7单元")
    assert (first["id"], "same_subject") not in reasons(odd)
    many = [order(f"1391111{n:04d}", "光明路1号") for n in range(12)]
    links = reasons(order("13911119999", "光明路1号"))
    assert len(links) == 10  # the policy's newest ten per reason
    assert links == {(m["id"], "same_address") for m in many[-10:]}


def test_related_requests_are_linked_and_duplicates_merge_keeping_both_histories(api: Api):
    first = api.new_order()
    second = api.new_order(caller={"phone": "13900000000", "address": "幸福路 12 号"})
    reasons = {r["reason"] for r in api.get("agent", f"/orders/{second['id']}").json()["related"]}
    assert reasons == {"same_address"}
    assert (
        api.get("agent", f"/orders/{first['id']}").json()["related"][0]["order_id"] == second["id"]
    )
    merged = api.post(
        "lead",
        f"/orders/{second['id']}/merge",
        json={"into_order_id": first["id"], "version": second["version"]},
    )
    assert merged.status_code == 200
    assert merged.json()["state"] == "merged" and merged.json()["merged_into_id"] == first["id"]
    assert events(api, second)[0] == ("intake", None, "intake")
    assert events(api, first)[-1][0] == "absorb"
    assert (
        api.post(
            "agent",
            f"/orders/{first['id']}/merge",
            json={"into_order_id": second["id"], "version": 1},
        ).status_code
        == 403
    )


def test_the_event_log_cannot_be_rewritten_even_by_sql(api: Api, engine):
    api.new_order()
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE order_events SET note = 'edited'"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))


def test_reclassifying_before_dispatch_moves_the_deadline(api: Api):
    order = api.new_order(type="complaint")
    changed = api.patch(
        "agent",
        f"/orders/{order['id']}",
        json={"version": order["version"], "type": "consultation"},
    )
    assert changed.status_code == 200
    assert changed.json()["due_at"] < order["due_at"]
    dispatched = api.to_state(changed.json(), "dispatched")
    late = api.patch(
        "agent",
        f"/orders/{order['id']}",
        json={"version": dispatched["version"], "content": "改内容"},
    )
    assert late.status_code == 409
