"""Random sequences of actions by random users: the loop's invariants hold.

Hypothesis drives the real API on PostgreSQL. Whatever it tries, no request
ends in a 500, a refused action changes nothing, an accepted one moves the
order exactly as the transition table says, and each order's event log is an
unbroken chain ending in its current state.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.ticketing.conftest import Api
from ticketing.orders.workflow import DIRECT_ACTIONS, TRANSITIONS

USERS = ["agent", "lead", "urban", "water", "anjia"]
UNITS = ["dept-urban", "dept-water", "sp-anjia"]
TYPES = ["consultation", "help", "complaint", "suggestion"]


def run_machine(api: Api) -> None:
    class Loop(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.orders: dict[int, dict] = {}  # id -> last known representation
            self.closes: dict[int, int] = {}

        @rule(kind=st.sampled_from(TYPES))
        def create(self, kind: str) -> None:
            response = api.post("agent", "/orders", json={
                "channel": "phone", "type": kind, "content": "随机诉求"})  # fmt: skip
            assert response.status_code == 201
            self.orders[response.json()["id"]] = response.json()
            self.closes[response.json()["id"]] = 0

        @precondition(lambda self: self.orders)
        @rule(data=st.data(), user=st.sampled_from(USERS),
              action=st.sampled_from(sorted(DIRECT_ACTIONS)), stale=st.booleans(),
              unit=st.sampled_from(UNITS))  # fmt: skip
        def act(self, data, user: str, action: str, stale: bool, unit: str) -> None:
            order_id = data.draw(st.sampled_from(sorted(self.orders)))
            before = api.get("lead", f"/orders/{order_id}").json()
            version = (
                before["version"] - 1 if stale and before["version"] > 1 else before["version"]
            )
            body = {"action": action, "version": version, "note": "随机备注"}
            if action in ("dispatch", "reassign"):
                body["unit_id"] = api.units[unit]
            response = api.post(user, f"/orders/{order_id}/transitions", json=body)
            assert response.status_code in (200, 403, 404, 409), response.text
            after = api.get("lead", f"/orders/{order_id}").json()
            if response.status_code == 200:
                rule_ = TRANSITIONS[action]
                assert before["state"] in rule_.sources and after["state"] == rule_.target
                assert version == before["version"] and after["version"] > before["version"]
                if after["state"] == "closed":
                    self.closes[order_id] += 1
            else:
                assert after == before
            self.orders[order_id] = after

        @precondition(lambda self: self.orders)
        @rule(verdict=st.sampled_from(["A", "B", "C"]))
        def call_back(self, verdict: str) -> None:
            pending = api.get("agent", "/callbacks", params={"limit": 200}).json()["items"]
            mine = [t for t in pending if t["order_id"] in self.orders]
            if not mine:
                return
            task = mine[0]
            response = api.post(
                "agent",
                f"/callbacks/{task['id']}/result",
                json={"grade": verdict, "note": "回访记录"},
            )
            assert response.status_code == 200, response.text
            after = api.get("lead", f"/orders/{task['order_id']}").json()
            expected = (
                "processing"
                if verdict == "C" and after["unit_id"]
                else ("evaluated" if verdict != "C" or not after["unit_id"] else "processing")
            )
            assert after["state"] == expected
            self.orders[task["order_id"]] = after

        @invariant()
        def event_logs_are_unbroken_chains(self) -> None:
            for order_id, known in self.orders.items():
                events = api.get("lead", f"/orders/{order_id}/events").json()
                assert events[0]["action"] == "intake" and events[0]["from_state"] is None
                for previous, event in itertools.pairwise(events):
                    assert event["from_state"] == previous["to_state"]
                assert events[-1]["to_state"] == known["state"]

        @invariant()
        def every_close_queued_one_callback(self) -> None:
            done = api.get("agent", "/callbacks", params={"status": "done", "limit": 200})
            pending = api.get("agent", "/callbacks", params={"limit": 200})
            tasks = done.json()["items"] + pending.json()["items"]
            for order_id, closes in self.closes.items():
                assert sum(1 for t in tasks if t["order_id"] == order_id) == closes

    Loop.TestCase.settings = settings(
        max_examples=12, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )  # fmt: skip
    Loop.TestCase().runTest()


def test_random_action_sequences_keep_the_loop_consistent(api: Api):
    run_machine(api)
