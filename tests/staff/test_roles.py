"""Each role against every admin endpoint, read from the served OpenAPI document.

Every operation that needs an admin token names the role it needs (`security: [{adminToken:
[ROLE]}]`, from the route's `opt={"role": …}`). Each staff role and the owner call each one:
below the role, 403 `forbidden` naming it; at or above it, never that refusal (and never 401).
A new endpoint that declares no role fails here first: declare its role, then give this test
(tests/ops/test_openapi.py's samples) a path value or a body for it if it needs one.
"""

from __future__ import annotations

import pytest

from app.staff.roles import ROLES, STAFF_ROLES, needed_role
from tests.controls import ADMIN
from tests.ops.test_openapi import BODY_SAMPLES, PATH_SAMPLES, QUERY_SAMPLES
from tests.staff.controls import add_staff, bearer

# The roles of the endpoints that exist when roles came in (issue 25); new ones are checked by
# level only (above), so that branches adding routes need not edit this table.
EXPECTED = {
    ("get", "/api/leads/{lead_id}"): "support",
    ("get", "/api/leads/{lead_id}/history"): "support",
    ("get", "/api/postbacks"): "support",
    ("get", "/api/exports/{dataset}"): "support",
    ("get", "/api/balances"): "support",
    ("get", "/api/deliveries"): "support",
    ("get", "/api/reconciliations/{run_id}"): "support",
    ("post", "/api/postbacks/{postback_id}/resubmit"): "support",
    ("post", "/api/admin/catalog"): "operator",
    ("post", "/api/recalculations"): "operator",
    ("post", "/api/reconciliations"): "operator",
    ("post", "/api/reconciliations/{run_id}/accept"): "operator",
    ("post", "/api/deliveries/{delivery_id}/resend"): "operator",
    ("post", "/api/deliveries/targets/{target_id}/resume"): "operator",
    ("post", "/api/deliveries/targets/{target_id}/suspend"): "operator",
    ("get", "/api/staff"): "owner",
    ("post", "/api/staff"): "owner",
    ("post", "/api/staff/{name}/revoke"): "owner",
    ("get", "/api/actions"): "support",
    ("post", "/api/staff/{name}/rotate"): "owner",
    ("delete", "/api/staff/{name}"): "owner",
    # Money (issue 22 with 25): finance closes periods, pays and invoices; support reads them.
    ("post", "/api/periods"): "finance",
    ("post", "/api/payouts"): "finance",
    ("post", "/api/payouts/{payout}/approve"): "finance",
    ("post", "/api/invoices"): "finance",
    ("post", "/api/invoices/{invoice}/approve"): "finance",
    ("post", "/api/invoices/{invoice}/payments"): "finance",
    ("get", "/api/periods"): "support",
    ("get", "/api/periods/{period}/statements"): "support",
    ("get", "/api/payouts"): "support",
    ("get", "/api/payables"): "support",
    ("get", "/api/invoices"): "support",
}


@pytest.fixture
def schema(demo) -> dict:
    return demo.get("/schema/openapi.json").json()


def admin_operations(schema: dict) -> list[tuple[str, str, dict, list[str]]]:
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for requirement in operation.get("security") or []:
                if "adminToken" in requirement:
                    found.append((path, method, operation, requirement["adminToken"]))
    return found


def test_every_admin_operation_declares_its_role(schema):
    undeclared = [f"{m.upper()} {p}" for p, m, _, roles in admin_operations(schema) if not roles]
    unknown = [(f"{m.upper()} {p}", roles) for p, m, _, roles in admin_operations(schema)
               if roles and (len(roles) != 1 or roles[0] not in ROLES)]  # fmt: skip

    assert not undeclared, (
        f"these admin endpoints declare no role, so only the owner may call them: {undeclared}. "
        f"Declare it on the route or its controller: opt={{'role': ...}}, one of {ROLES} "
        "(reads: support; catalog, rebuilds, statements, delivery resends: operator; periods, "
        "payouts, invoices: finance; staff: owner)."
    )
    assert not unknown, f"roles must be one of {ROLES}: {unknown}"
    declared = {(m, p): roles[0] for p, m, _, roles in admin_operations(schema)}
    assert {key: declared.get(key) for key in EXPECTED} == EXPECTED


def test_a_route_without_a_declared_role_needs_the_owner():
    assert needed_role({}) == "owner"
    assert needed_role({"role": "nobody"}) == "owner"


def test_each_role_may_call_what_its_level_allows_and_is_refused_the_rest(demo, schema):
    tokens = {role: bearer(add_staff(demo, f"r-{role}", role)) for role in STAFF_ROLES}
    tokens["owner"] = ADMIN
    wrong = []
    for path, method, operation, roles in admin_operations(schema):
        needed = roles[0] if roles else "owner"
        url = path.format(**PATH_SAMPLES)
        call = dict(params=QUERY_SAMPLES.get(path, {}), **BODY_SAMPLES.get(path, {}))
        if needed != "support":
            assert "403" in operation["responses"], f"{method} {path}: 403 not documented"
        for role in ROLES:  # lowest first: the owner's call (which may change things) comes last
            answer = demo.request(method, url, headers=tokens[role], follow_redirects=False,
                                  **call)  # fmt: skip
            refused = answer.status_code == 403 and "(or a higher one)" in answer.text
            allowed = ROLES.index(role) >= ROLES.index(needed)
            if refused == allowed or answer.status_code == 401:
                wrong.append((role, method.upper(), path, answer.status_code, answer.text[:120]))
            if refused:
                assert answer.json()["error"] == "forbidden" and needed in answer.json()["message"]
    assert not wrong, wrong
