"""Schemathesis against the served OpenAPI schema: no generated request gets a 500.

Every operation of `/schema/openapi.json` gets a bounded number of generated requests, with the
admin token so that the generator reaches past the guard, on a real server with the demo catalog.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.fault_controls import record_figures

pytestmark = pytest.mark.slow
EXAMPLES_PER_OPERATION = 10


def test_no_generated_request_to_any_operation_gets_a_500(live_server):
    schema = schemathesis.openapi.from_url(f"{live_server.base_url}/schema/openapi.json")
    sent: list[int] = []
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        fuzz_operation(operation, live_server, sent, failures)

    assert failures == [], "\n".join(failures[:20])
    record_figures("schemathesis", operations=len(operations), requests=len(sent), errors_500=0)


def fuzz_operation(operation, server, sent: list[int], failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        response = case.call(base_url=server.base_url, headers=server.admin_headers, timeout=30)
        sent.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{response.status_code}: {case.as_curl_command()[:300]}")

    check()
