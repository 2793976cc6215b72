"""The in-process caches of tokens and subjects (ticketing/cache.py, bench
(p)): an administrator's change through the API takes effect at the next
request, never after the cache's age."""

from __future__ import annotations

import threading
import uuid

from tests.ticketing.conftest import PASSWORD, Api
from ticketing.cache import WriteClearedCache


def _new_user(api: Api) -> tuple[int, dict[str, str]]:
    name = f"c{uuid.uuid4().hex[:8]}"
    created = api.post("admin", "/users", json={"username": name, "display_name": "临时",
                                                "role": "agent", "password": PASSWORD})  # fmt: skip
    assert created.status_code == 201, created.text
    token = api.client.post("/auth/token", json={"username": name, "password": PASSWORD})
    return created.json()["id"], {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_a_deactivated_users_token_stops_at_the_next_request(api: Api):
    user_id, headers = _new_user(api)
    for _ in range(3):  # read, and then answered from the cache
        assert api.client.get("/auth/me", headers=headers).status_code == 200
    assert api.post("admin", f"/users/{user_id}/deactivate").status_code == 200
    assert api.client.get("/auth/me", headers=headers).status_code == 401
    order = {"channel": "phone", "type": "complaint", "content": "测试"}
    assert api.client.post("/orders", headers=headers, json=order).status_code == 401


def test_an_admins_new_subject_is_taken_at_once_and_an_unknown_one_never(api: Api):
    code = f"sub{uuid.uuid4().hex[:6]}"
    assert api.post("agent", "/orders", json={"channel": "phone", "type": "complaint",
                                              "content": "测试", "subject_code": code}
                    ).status_code == 404  # fmt: skip
    assert api.new_order(subject_code="heating")["subject_code"] == "heating"
    assert api.post("admin", "/subjects", json={"code": code, "name": "新分类"}).status_code == 201
    assert api.new_order(subject_code=code)["subject_code"] == code
    assert api.post("agent", "/orders", json={"channel": "phone", "type": "complaint",
                                              "content": "测试", "subject_code": "no-such"}
                    ).status_code == 404  # fmt: skip


def test_a_value_read_while_a_write_commits_is_not_kept():
    cache = WriteClearedCache("test", {"t"}, maxsize=8, ttl_s=60)
    loads: list[int] = []

    def load_during_a_write() -> int:
        loads.append(1)
        if len(loads) == 1:
            cache.clear()  # a commit lands between the read and the store
        return len(loads)

    assert cache.get("k", load_during_a_write) == 1
    assert cache.get("k", load_during_a_write) == 2  # read again: the first was not kept
    assert cache.get("k", load_during_a_write) == 2  # and now kept
    assert cache.get("none", lambda: None) is None
    # thread-safe: many readers of one key agree
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(cache.get("k", lambda: 99)))
               for _ in range(8)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [2] * 8
