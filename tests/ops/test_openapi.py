"""The OpenAPI schema (`/schema/openapi.json`) documents every endpoint and the postback rules."""

from __future__ import annotations

import re
from uuid import uuid4

import pytest

from app.openapi.errors import ERROR_CODES, documented_codes
from tests.controls import ADMIN, DEMO_CATALOG
from tests.servers import REPOSITORY

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
# `code="…"` in a raise, or `code = "…"` on a Rejection class.
_RAISED_CODE = re.compile(r'\bcode\s*=\s*"([a-z_]+)"')


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


ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
# Answers for a person's browser or a load balancer, not for a client's code.
NOT_ERROR_BODY = {("/go/{flow_ref}", "get", "404"), ("/go/{flow_ref}", "get", "410"),
                  ("/go/{flow_ref}", "get", "503"),
                  ("/health/ready", "get", "503")}  # fmt: skip
PATH_SAMPLES = {"lead_id": str(uuid4()), "recalculation_id": str(uuid4()),
                "postback_id": str(uuid4()), "dataset": "ledger",
                "delivery_id": str(uuid4()), "target_id": str(uuid4()), "run_id": str(uuid4()),
                "flow_ref": "cc-traffic", "name": "nobody"}  # fmt: skip
PATH_SAMPLES.update(period="7", payout=str(uuid4()), invoice=str(uuid4()))  # periods, payouts
QUERY_SAMPLES = {"/api/balances": {"webmaster": "wm-1"}}
BODY_SAMPLES = {"/api/recalculations": {"json": {"dry_run": True}},
                "/api/admin/catalog": {"content": DEMO_CATALOG},
                "/api/staff": {"json": {"name": "sample", "role": "support"}}}  # fmt: skip


def every_operation(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_error_answer_is_documented_as_the_one_error_shape(schema):
    for path, method, operation in every_operation(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (path, method, status) in NOT_ERROR_BODY:
                continue
            content = response["content"]["application/json"]
            assert content["schema"] == ERROR_BODY, (path, method, status)
            assert content["examples"], (path, method, status)


def test_the_error_shape_names_every_code_the_domain_refuses_with(schema):
    codes = set(schema["components"]["schemas"]["ErrorBody"]["properties"]["error"]["enum"])
    raised = set()
    for folder in ("domain", "app", "projections"):
        for source in (REPOSITORY / folder).rglob("*.py"):
            raised |= set(_RAISED_CODE.findall(source.read_text()))

    assert raised - codes == set()
    assert set(ERROR_CODES) == codes


def test_admin_operations_require_the_admin_token_scheme(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["adminToken"] == {**schemes["adminToken"], "type": "http", "scheme": "bearer"}
    assert schemes["siteToken"]["in"] == "query" and schemes["siteToken"]["name"] == "token"
    for path, method, operation in every_operation(schema):
        if path.startswith("/api/") and not path.startswith("/api/site/"):
            [requirement] = operation["security"]
            assert list(requirement) == ["adminToken"], (path, method)
            assert len(requirement["adminToken"]) == 1, (path, method)  # the role it needs


def test_a_postback_may_come_as_a_form_or_a_json_body(schema):
    body = schema["paths"]["/api/site/status.json"]["post"]["requestBody"]

    assert set(body["content"]) == {"application/x-www-form-urlencoded", "application/json"}
    assert body["required"] is False


def test_every_endpoint_answers_only_codes_it_documents(demo, schema):
    """Issue 14: `/go/{flow}` was documented 200/400 and answered 302/404. Each operation is
    called without a token, and with one on sample values (unknown ids: 404)."""
    for path, method, operation in every_operation(schema):
        url = path.format(**PATH_SAMPLES)
        call = dict(params=QUERY_SAMPLES.get(path, {}), **BODY_SAMPLES.get(path, {}))
        for headers in ({}, ADMIN):
            answer = demo.request(method, url, headers=headers, follow_redirects=False, **call)
            assert str(answer.status_code) in operation["responses"], (method, url, answer.text)
            if answer.headers.get("content-type", "").startswith("application/json"):
                code = answer.json().get("error") if isinstance(answer.json(), dict) else None
                listed = documented_codes(operation).get(str(answer.status_code), set())
                assert code is None or code in listed, (method, url, code)


def test_the_tracking_link_is_documented_as_a_redirect_or_a_page(demo, schema):
    answers = schema["paths"]["/go/{flow_ref}"]["get"]["responses"]

    assert demo.get("/go/cc-traffic", follow_redirects=False).status_code == 302
    assert demo.get("/go/no-such-flow", follow_redirects=False).status_code == 404
    assert "location" in answers["302"]["headers"]
    assert "text/html" in answers["404"]["content"]
    assert "200" not in answers


def test_a_csv_export_is_documented_and_sent_as_csv_with_one_charset(demo, schema):
    documented = schema["paths"]["/api/exports/{dataset}"]["get"]["responses"]["200"]["content"]

    answer = demo.get("/api/exports/ledger", params={"format": "csv"}, headers=ADMIN)

    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert set(documented) == {"text/csv; charset=utf-8", "application/x-ndjson"}


def test_the_docs_page_loads_its_assets_from_this_server(client):
    page = client.get("/schema/swagger").text
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)', page)

    assert assets and all(url.startswith("/schema/assets/") for url in assets)
    for url in assets:
        assert client.get(url).status_code == 200, url


def test_an_empty_account_name_counts_as_not_given(demo):
    answer = demo.get(
        "/api/balances", params={"advertiser": "", "webmaster": "wm-1"}, headers=ADMIN
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["account"] == "webmaster:wm-1"


# Older lists name their cursor `before` or `after` and its answer `next_after`; new ones follow
# /api/deliveries (`cursor`, `next`) or the rest (`cursor`, `next_cursor`).
_CURSOR_PARAMETERS = {"cursor", "before", "after"}
_NEXT_KEYS = {"next", "next_cursor", "next_after"}


def _listed_answer(schema: dict, operation: dict) -> dict | None:
    """The 200 answer's schema if it is a list (an array, or an object with `items`)."""
    content = operation["responses"].get("200", {}).get("content", {})
    body = next(iter(content.values()), {}).get("schema")
    while body and "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    if body and (body.get("type") == "array" or "items" in body.get("properties", {})):
        return body
    return None


def test_every_list_pages_with_a_cursor_a_bounded_limit_and_a_next_key(schema):
    lists = 0
    for path, item in schema["paths"].items():
        operation = item.get("get")
        body = _listed_answer(schema, operation) if operation else None
        if body is None or not path.startswith("/api/"):
            continue
        lists += 1
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
        assert body.get("type") != "array", f"{path} answers a bare array: it cannot say `next`"
        assert _NEXT_KEYS & set(body["properties"]), path
        assert _CURSOR_PARAMETERS & set(parameters), path
        assert parameters["limit"]["minimum"] == 1 and parameters["limit"]["maximum"] <= 1000, path
    assert lists >= 13
