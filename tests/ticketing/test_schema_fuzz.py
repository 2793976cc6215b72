"""Schemathesis generates input for every operation of the OpenAPI schema and
sends it as a shift lead (the broadest role): no input may end in a 500, and
every answer -- status code, content type, body -- is one the schema declares,
so clients generated from it do not break.

(Schemathesis' pytest plugin does not load under pytest 9, so the test walks
the operations itself with each operation's Hypothesis strategy.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.ticketing.conftest import PASSWORD, Api

EXAMPLES_PER_OPERATION = 25
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


def test_no_generated_input_breaks_the_service(app, api: Api):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    # a shift lead of its own, and its log-out last: the log-out ends its token
    operations.sort(key=lambda operation: operation.path == "/auth/logout")
    headers = _own_lead(api)
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def send(case) -> None:
            response = case.call(headers={**(case.headers or {}), **headers})
            where = f"{case.method} {case.formatted_path}: {response.status_code}"
            if response.status_code >= 500:
                failures.append(f"{where} {response.text[:200]}")
                return
            try:
                case.validate_response(response, checks=CONFORMANCE)
            except (AssertionError, FailureGroup) as failure:
                failures.append(f"{where} does not match the schema: {str(failure)[:300]}")

        send()
    assert failures == []


def _own_lead(api: Api) -> dict[str, str]:
    body = {"username": "fuzz-lead", "display_name": "fuzz", "role": "shift_lead",
            "password": PASSWORD}  # fmt: skip
    api.post("admin", "/users", json=body)  # 409 when an earlier test made it
    login = api.client.post("/auth/token", json={"username": "fuzz-lead", "password": PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}
