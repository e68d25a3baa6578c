"""A boolean in a JSON request body is `true` or `false`: `0`, `1`, `"true"` or `"yes"` is a 400
in the service's error shape, and nothing happens (a dry run asked as `0` is no real run)."""

from __future__ import annotations

import pytest

from tests.controls import ADMIN, create
from tests.reconciliation.controls import lines, statement, uploaded

NOT_BOOLEANS = [0, 1, "true", "false", "yes", None]


def boolean_body_fields(schema: dict) -> set[tuple[str, str, str]]:
    """(path, method, field) for every boolean of every JSON request body in the document."""
    components = schema["components"]["schemas"]
    found = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            if not body:
                continue
            shape = body["schema"]
            if "$ref" in shape:
                shape = components[shape["$ref"].rsplit("/", 1)[1]]
            for name, field in (shape.get("properties") or {}).items():
                if field.get("type") == "boolean":
                    found.add((path, method, name))
    return found


def test_the_routes_tested_here_are_every_route_with_a_boolean_in_its_body(client):
    schema = client.get("/schema/openapi.json").json()

    assert boolean_body_fields(schema) == {
        ("/api/recalculations", "post", "dry_run"),
        ("/api/reconciliations/{run_id}/accept", "post", "dry_run"),
    }


def refused(response, field: str = "dry_run", wanted: str = "bool") -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == "error" and body["error"] == "invalid_parameter", body
    assert field in body["message"] and f"`{wanted}`" in body["message"], body["message"]


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_a_rebuild_whose_dry_run_is_not_a_boolean_is_refused_and_nothing_runs(demo, value):
    answer = demo.post("/api/recalculations", json={"dry_run": value}, headers=ADMIN)

    refused(answer)
    assert demo.get("/api/recalculations", headers=ADMIN).json()["items"] == []


def test_a_rebuild_with_a_real_boolean_still_runs(demo):
    answer = demo.post("/api/recalculations", json={"dry_run": True}, headers=ADMIN)

    assert answer.status_code == 200, answer.text
    assert answer.json()["dry_run"] is True


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_an_acceptance_whose_dry_run_is_not_a_boolean_is_refused_and_settles_nothing(
    demo, services, value
):
    assert create(demo, flow="101", exto="strict-1").status_code == 200
    services.runner.catch_up()
    run = uploaded(demo, statement([["strict-1", "approved"]], ["exto", "status"]))
    accept = f"/api/reconciliations/{run['id']}/accept"

    answer = demo.post(accept, json={"classes": ["value_differs"], "dry_run": value},
                       headers=ADMIN)  # fmt: skip

    refused(answer)
    assert [(line["class"], line["settled_at"]) for line in lines(demo, run["id"])] == [
        ("value_differs", None)
    ]
    real = demo.post(accept, json={"classes": ["value_differs"], "dry_run": True}, headers=ADMIN)
    assert real.status_code == 200, real.text
    assert real.json()["dry_run"] is True and len(real.json()["lines"]) == 1


def test_other_fields_are_strict_too_a_line_number_is_a_number_not_text(demo):
    assert create(demo, flow="101", exto="strict-2").status_code == 200
    run = uploaded(demo, statement([["strict-2", "approved"]], ["exto", "status"]))

    answer = demo.post(f"/api/reconciliations/{run['id']}/accept", json={"lines": ["2"]},
                       headers=ADMIN)  # fmt: skip

    refused(answer, "lines", "int")


def test_a_body_that_is_no_json_is_still_answered_as_before(demo):
    answer = demo.post("/api/recalculations", content=b"{not json", headers=ADMIN)

    assert answer.status_code == 400 and answer.json()["status"] == "error", answer.text
