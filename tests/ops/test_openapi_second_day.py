"""The OpenAPI document states what the service enforces: the reserved U+001F in postback
parameters, and that period bounds are dates or date-times."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def schema(client) -> dict:
    return client.get("/schema/openapi.json").json()


def test_postback_parameters_declare_that_they_cannot_hold_the_unit_separator(schema):
    operation = schema["paths"]["/api/site/click.json"]["get"]
    patterns = {p["name"]: p["schema"].get("pattern") for p in operation["parameters"]}

    assert patterns and None not in patterns.values(), patterns
    pattern = re.compile(patterns["exto"].replace("\\u001f", "\x1f"))
    assert pattern.match("order-1") and not pattern.match("order\x1f1")


@pytest.mark.parametrize(
    ("path", "method"), [("/api/reconciliations", "post"), ("/api/exports/{dataset}", "get")]
)
def test_period_bounds_are_declared_as_a_date_or_a_date_time(schema, path, method):
    parameters = {p["name"]: p["schema"] for p in schema["paths"][path][method]["parameters"]}

    for name in ("from", "to"):
        formats = {variant.get("format") for variant in parameters[name].get("anyOf", [])}
        assert formats == {"date", "date-time"}, parameters[name]


def every_example(schema: dict):
    for item in schema["paths"].values():
        for operation in item.values():
            for response in (operation.get("responses") or {}).values():
                for media in (response.get("content") or {}).values():
                    yield from (e.get("value") for e in (media.get("examples") or {}).values())


def test_example_answers_are_real_examples_not_random_text(schema):
    statuses = {
        example["status"]
        for example in every_example(schema)
        if isinstance(example, dict) and "status" in example
    }

    assert statuses <= {"ok", "error", "ready", "not_ready", "live"}, statuses


def test_an_accepted_postback_is_shown_with_a_real_example(schema):
    answer = schema["paths"]["/api/site/click.json"]["get"]["responses"]["200"]
    examples = answer["content"]["application/json"].get("examples", {})

    assert [e["value"]["status"] for e in examples.values()] == ["ok"]
