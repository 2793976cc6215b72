"""Every password check goes through one throttle and one argon2 limit, a
failure is counted before the check, and a token ends on the server."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.ticketing.conftest import PASSWORD, Api


def _fresh_user(api: Api) -> tuple[str, dict[str, str]]:
    name = f"u{uuid.uuid4().hex[:10]}"
    made = api.post(
        "admin",
        "/users",
        json={"username": name, "display_name": name, "role": "agent", "password": PASSWORD},
    )
    assert made.status_code == 201, made.text
    token = api.client.post("/auth/token", json={"username": name, "password": PASSWORD})
    return name, {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_thirty_guesses_at_once_get_only_the_limits_five_checks(api: Api):
    name, _ = _fresh_user(api)

    def guess(n: int) -> int:
        body = {"username": name, "password": f"wrong-{n}"}
        return api.client.post("/auth/token", json=body).status_code

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(guess, range(30)))
    assert answers.count(401) <= 5, answers
    assert set(answers) <= {401, 429}
    # and the right password is refused too while the account is locked
    right = api.client.post("/auth/token", json={"username": name, "password": PASSWORD})
    assert right.status_code == 429


def test_the_old_password_check_is_throttled_like_a_log_in(api: Api):
    _, headers = _fresh_user(api)
    answers = [
        api.client.post(
            "/auth/password",
            headers=headers,
            json={"old_password": f"guess-{n}", "new_password": "new-password-1234"},
        ).status_code
        for n in range(40)
    ]
    assert answers.count(401) <= 5 and answers.count(429) >= 35, answers


def test_service_roles_and_a_username_differing_only_in_case_cannot_be_created(api: Api):
    for role in ("acd", "ivr", "asr"):
        made = api.post(
            "admin",
            "/users",
            json={
                "username": f"svc-{role}",
                "display_name": "x",
                "role": role,
                "password": PASSWORD,
            },
        )
        assert made.status_code == 422, made.text
    twin = api.post(
        "admin",
        "/users",
        json={"username": "Admin", "display_name": "x", "role": "admin", "password": PASSWORD},
    )
    assert twin.status_code == 409


def test_logging_out_ends_the_token_on_the_server(api: Api):
    _, headers = _fresh_user(api)
    assert api.client.get("/auth/me", headers=headers).status_code == 200
    assert api.client.post("/auth/logout", headers=headers).status_code == 204
    assert api.client.get("/auth/me", headers=headers).status_code == 401
