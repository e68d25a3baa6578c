"""Schemathesis hooks for tests/ops/test_openapi_conformance.py (loaded by `st run`).

One extra check, so that the error codes listed per endpoint are held to the truth like the
rest of the document.
"""

from __future__ import annotations

import schemathesis

from app.openapi.errors import documented_codes


@schemathesis.check
def error_code_is_listed(ctx, response, case):
    """An error answer's `error` is one the endpoint lists for that HTTP status."""
    if response.status_code < 400 or response.status_code == 405:  # 405: not this operation
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or "error" not in body:
        return None
    listed = documented_codes(case.operation.definition.raw).get(str(response.status_code), set())
    if body["error"] not in listed:
        raise AssertionError(
            f"{case.operation.label} answered {response.status_code} `{body['error']}`, "
            f"which its route does not list (listed: {sorted(listed)}): add it to the "
            "route's error_responses(...)"
        )
    return None
