"""Malformed and unusable postbacks: each has its own error code, changes nothing, and is stored."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.checks import (
    accepted,
    assert_logged_refusal,
    assert_no_secret,
    refused,
    snapshot,
    stored_postbacks,
)
from tests.controls import SITE_TOKEN, change, create, lead, new_click, postbacks

STATUS_URL = "/api/site/status.json"
CREATION_URL = "/api/site/click.json"
HUNDRED_KB = "x" * 100_000


def raw_status_query(query: str) -> Callable:
    """A status postback whose query string is sent byte for byte as written."""
    return lambda client, click: client.get(
        f"{STATUS_URL}?token={SITE_TOKEN}&click={click}&{query}"
    )


def form_body(body: bytes) -> Callable:
    return lambda client, click: client.post(
        STATUS_URL,
        content=b"token=" + SITE_TOKEN.encode() + b"&click=" + click.encode() + b"&" + body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def json_body(text: bytes) -> Callable:
    return lambda client, click: client.post(
        STATUS_URL, content=text, headers={"Content-Type": "application/json"}
    )


def status_with(**params: str) -> Callable:
    return lambda client, click: change(client, click=click, status="approve", **params)


BAD_STATUS_POSTBACKS = {
    "no click, flow or code": (
        lambda client, click: change(client, status="approve"),
        400,
        "missing_parameter",
    ),
    "flow without exto": (
        lambda client, click: change(client, flow="101", status="approve"),
        400,
        "missing_parameter",
    ),
    "a 100 kB parameter in a form body": (
        form_body(b"status=approve&comment=" + HUNDRED_KB.encode()),
        400,
        "parameter_too_long",
    ),
    "a 100 kB status in a form body": (
        form_body(b"status=" + HUNDRED_KB.encode()),
        400,
        "parameter_too_long",
    ),
    "a 100 kB parameter in a JSON body": (
        lambda client, click: client.post(
            STATUS_URL,
            json={"token": SITE_TOKEN, "click": click, "status": "a", "comment": HUNDRED_KB},
        ),
        400,
        "parameter_too_long",
    ),
    "a 10 kB parameter in the query": (
        status_with(comment="q" * 10_000),
        400,
        "parameter_too_long",
    ),
    "a NUL character in the query": (
        raw_status_query("status=approve&exto=a%00b"),
        400,
        "invalid_encoding",
    ),
    "a NUL character in a JSON body": (
        lambda client, click: client.post(
            STATUS_URL, json={"token": SITE_TOKEN, "click": click, "status": "a\u0000"}
        ),
        400,
        "invalid_encoding",
    ),
    "non-UTF-8 bytes in the query": (
        raw_status_query("status=%FF%FEapprove"),
        400,
        "invalid_encoding",
    ),
    "non-UTF-8 bytes in a parameter name": (
        raw_status_query("status=approve&%C3%28=1"),
        400,
        "invalid_encoding",
    ),
    "non-UTF-8 bytes in a form body": (form_body(b"status=appr\xffove"), 400, "invalid_encoding"),
    "a literal {click}": (
        raw_status_query("status=approve&exto={click}"),
        422,
        "unsubstituted_macro",
    ),
    "a literal {payout}": (status_with(pay="{payout}"), 422, "unsubstituted_macro"),
    "a literal {status}": (raw_status_query("status={status}"), 422, "unsubstituted_macro"),
    "one parameter twice with different values": (
        raw_status_query("status=approve&status=cancel"),
        400,
        "repeated_parameter",
    ),
    "too many parameters": (
        raw_status_query("status=approve&" + "&".join(f"p{i}=1" for i in range(120))),
        400,
        "too_many_parameters",
    ),
}


@pytest.mark.parametrize(
    ("send", "http_status", "code"),
    list(BAD_STATUS_POSTBACKS.values()),
    ids=list(BAD_STATUS_POSTBACKS),
)
def test_a_bad_status_postback_gets_its_own_code_changes_nothing_and_is_stored(
    demo, services, send, http_status, code
):
    click = new_click(demo)
    lead_id = accepted(create(demo, click=click))["id"]
    before = snapshot(demo, services, lead_id)

    refused(send(demo, click), http_status, code)

    assert snapshot(demo, services, lead_id) == before
    assert_logged_refusal(demo, services, http_status, code)


BAD_JSON_BODIES = {
    "not JSON": b"{token: 7-s3cr3t",
    "a JSON array": b'["token", "7-s3cr3t"]',
    "a nested value": b'{"token": "7-s3cr3t", "status": {"value": "approve"}}',
}


@pytest.mark.parametrize("body", list(BAD_JSON_BODIES.values()), ids=list(BAD_JSON_BODIES))
def test_a_json_body_that_is_not_a_flat_object_is_400_malformed_json(demo, services, body):
    refused(json_body(body)(demo, ""), 400, "malformed_json")

    assert_logged_refusal(demo, services, 400, "malformed_json")


def test_a_json_body_with_non_utf8_bytes_is_400_invalid_encoding_and_stored(demo, services):
    click = new_click(demo)
    body = b'{"token": "7-s3cr3t", "click": "' + click.encode() + b'", "status": "a\xff"}'

    refused(json_body(body)(demo, click), 400, "invalid_encoding")

    row = assert_logged_refusal(demo, services, 400, "invalid_encoding")
    assert click in row["params"]["_body"][0]


def test_a_broken_json_body_is_stored_with_its_token_masked(demo, services):
    body = b'{"token": "7-s3cr3t", "flow": 101, "exto": "e-1",'

    refused(json_body(body)(demo, ""), 400, "malformed_json")

    row = assert_logged_refusal(demo, services, 400, "malformed_json")
    assert row["params"]["_body"] == ['{"token": "7-***", "flow": 101, "exto": "e-1",']


def test_a_token_inside_a_nested_json_value_is_stored_masked(demo, services):
    body = b'{"auth": {"token": "7-s3cr3t"}, "flow": 101}'

    refused(json_body(body)(demo, ""), 400, "malformed_json")

    assert_logged_refusal(demo, services, 400, "malformed_json")


def test_a_100_kb_parameter_is_stored_cut_with_its_length_noted(demo, services):
    click = new_click(demo)

    refused(form_body(b"status=approve&comment=" + HUNDRED_KB.encode())(demo, click), 400,
            "parameter_too_long")  # fmt: skip

    row = stored_postbacks(demo, services)[0]
    (stored,) = row["params"]["comment"]
    assert len(stored) < 2_000
    assert "100000" in stored
    assert row["params"]["click"] == [click]


def test_non_utf8_bytes_are_stored_escaped_so_support_can_see_them(demo, services):
    click = new_click(demo)

    raw_status_query("status=ok%FF")(demo, click)

    row = stored_postbacks(demo, services)[0]
    assert row["params"]["status"] == ["ok\\xff"]


def test_a_literal_macro_is_refused_on_creation_and_creates_no_lead(demo, services):
    click = new_click(demo)

    refused(create(demo, click=click, exto="{lead_id}"), 422, "unsubstituted_macro")

    assert_logged_refusal(demo, services, 422, "unsubstituted_macro")
    refused(change(demo, click=click, status="hold"), 404, "lead_not_found")


def test_a_literal_click_macro_as_the_click_is_refused_as_unsubstituted(demo, services):
    refused(create(demo, click="{click}"), 422, "unsubstituted_macro")


def test_braces_that_are_not_a_macro_are_kept_as_text(demo, services):
    body = accepted(create(demo, flow="101", exto="order {42}", comment="{ not a macro }"))

    assert body["outcome"] == "created"


def test_an_unknown_click_is_404_unknown_click_for_creation_and_status(demo, services):
    refused(create(demo, click="never-issued"), 404, "unknown_click")
    assert_logged_refusal(demo, services, 404, "unknown_click")

    refused(change(demo, click="never-issued", status="approve", auto="1"), 404, "unknown_click")
    assert_logged_refusal(demo, services, 404, "unknown_click")


@pytest.mark.parametrize("reference", [{"flow": "999"}, {"code": "no-such-flow"}])
def test_an_unknown_flow_is_404_unknown_flow(demo, services, reference):
    refused(create(demo, exto="e-1", **reference), 404, "unknown_flow")

    assert_logged_refusal(demo, services, 404, "unknown_flow")
    assert stored_postbacks(demo, services, outcome="created") == []


def test_the_same_parameter_twice_with_the_same_value_is_accepted(demo):
    click = new_click(demo)
    accepted(create(demo, click=click))

    accepted(raw_status_query("status=approve&status=approve")(demo, click))


def test_a_parameter_in_the_query_and_in_the_body_must_agree(demo, services):
    click = new_click(demo)
    accepted(create(demo, click=click))

    response = demo.post(
        f"{STATUS_URL}?token={SITE_TOKEN}&click={click}&status=approve",
        data={"status": "cancel"},
    )

    refused(response, 400, "repeated_parameter")


def test_a_postback_body_over_1_mib_is_413_request_too_large(demo):
    response = demo.post(
        CREATION_URL, content=b"token=7-s3cr3t&comment=" + b"z" * 1_100_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip

    refused(response, 413, "request_too_large")


postback_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from([CREATION_URL, STATUS_URL]),
    params=st.dictionaries(
        st.sampled_from(
            ["token", "click", "exto", "flow", "code", "goal", "status", "sta", "stn", "auto",
             "pay", "cc", "wm", "x"]
        ),
        postback_values,
        max_size=8,
    ),
)  # fmt: skip
def test_no_postback_parameters_give_a_500_and_every_one_is_stored(
    demo, services, endpoint, params
):
    before = len(stored_postbacks(demo, services, limit="500"))

    response = demo.get(endpoint, params=params)

    assert response.status_code < 500, response.text
    assert response.json()["status"] in {"ok", "error"}
    rows = stored_postbacks(demo, services, limit="500")
    assert len(rows) == before + 1
    assert rows[0]["http_status"] == response.status_code
    assert_no_secret(rows[0])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=200))
def test_no_raw_query_or_body_bytes_give_a_500(demo, raw):
    query = quote_from_bytes(raw, safe="&=%+{}")
    for response in (
        demo.get(f"{STATUS_URL}?{query}"),
        demo.post(STATUS_URL, content=raw, headers={"Content-Type": "application/json"}),
        demo.post(CREATION_URL, content=raw,
                  headers={"Content-Type": "application/x-www-form-urlencoded"}),
    ):  # fmt: skip
        assert response.status_code < 500, response.text
        json.loads(response.text)


def test_a_100_kb_parameter_sent_to_a_real_server_is_refused_and_stored(live_server):
    with live_server.client() as http:
        click = new_click(http)
        lead_id = accepted(create(http, click=click))["id"]
        body = (
            b"token=7-s3cr3t&click=" + click.encode() + b"&status=approve&comment=" + b"w" * 100_000
        )

        refused(form_body_to(http, body), 400, "parameter_too_long")

        assert lead(http, lead_id)["status"] == "new"
        assert logged_soon(http, error="parameter_too_long")[0]["params"]["click"] == [click]


def form_body_to(http, body: bytes):
    return http.post(
        STATUS_URL, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )


def logged_soon(http, **filters: str) -> list[dict]:
    """The server's postback log rows matching `filters`, once its projections show them."""
    deadline = time.monotonic() + 20
    while not (rows := postbacks(http, **filters)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return rows
