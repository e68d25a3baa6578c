"""The OpenAPI schema (`/schema/openapi.json`) documents every endpoint and the postback rules."""

from __future__ import annotations

import re

import pytest

POSTBACK_PARAMETERS = {
    "token", "click", "exto", "flow", "code", "goal", "status",
    "sta", "stc", "stt", "sth", "stw", "stn", "auto", "pay", "cc", "wm",
}  # fmt: skip
ISSUE_2_ENDPOINTS = {
    ("/api/site/click.json", "get"),
    ("/api/site/click.json", "post"),
    ("/api/site/status.json", "get"),
    ("/api/site/status.json", "post"),
    ("/go/{flow_ref}", "get"),
    ("/api/leads/{lead_id}", "get"),
    ("/api/admin/catalog", "post"),
    ("/api/postbacks", "get"),
}
_TYPED_PARAMETER = re.compile(r"\{(\w+):\w+\}")


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_schema_lists_every_endpoint_of_the_write_path(schema):
    assert operations(schema) >= ISSUE_2_ENDPOINTS


def test_every_api_route_of_the_app_is_in_the_schema(client, schema):
    documented = operations(schema)
    for route in client.app.routes:
        if not route.path.startswith(("/api/", "/go/")):
            continue
        path = _TYPED_PARAMETER.sub(r"{\1}", route.path)
        for method in route.methods - {"OPTIONS", "HEAD"}:
            assert (path, method.lower()) in documented, (path, method)


@pytest.mark.parametrize("path", ["/api/site/click.json", "/api/site/status.json"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_postback_endpoints_document_every_protocol_parameter(schema, path, method):
    parameters = {p["name"] for p in schema["paths"][path][method]["parameters"]}

    assert parameters >= POSTBACK_PARAMETERS


def test_the_postback_endpoints_document_their_error_answers(schema):
    answers = set(schema["paths"]["/api/site/status.json"]["get"]["responses"])

    assert answers >= {"200", "400", "401", "404", "409", "422", "503"}


def test_the_docs_page_is_served(client):
    response = client.get("/schema")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
