"""Schemathesis against the OpenAPI schema: no 5xx anywhere, every error is problem+json."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.conftest import ApiEnv


def test_no_server_errors_and_every_error_is_problem_json(api: ApiEnv):
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    checked = 0
    for result in schema.get_all_operations():
        op = result.ok()
        who = "CN-330100-HZL" if op.path.startswith(("/ill", "/loans", "/licences", "/settlements")) else "PUB-SHYW"

        @given(case=op.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def run(case) -> None:  # noqa: ANN001
            response = case.call(headers={"Authorization": f"Bearer {api.tokens[who]}"})
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)
            if response.status_code >= 400:
                ct = response.headers.get("content-type") or [""]
                ct = ct[0] if isinstance(ct, list) else ct
                assert ct.startswith("application/problem+json"), (case.formatted_path, response.text)
                body = response.json()
                assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == response.status_code

        run()
        checked += 1
    assert checked >= 40
