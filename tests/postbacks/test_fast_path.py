"""The postback fast path: the two postback paths answered in front of Litestar's router, with the
same answers, middleware and error handling as the Litestar routes (which stay for the docs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

import app.postbacks.routes as routes
from app.main import create_app
from tests.checks import refused
from tests.controls import ADMIN, SITE_TOKEN, new_click
from tests.security_controls import postback_log

CREATION_URL = "/api/site/click.json"
STATUS_URL = "/api/site/status.json"
JSON = {"content-type": "application/json"}


@pytest.fixture
def litestar_routed(settings, services) -> Iterator[TestClient]:
    """The same service with the postback paths routed by Litestar (the fast path's fallback)."""
    twin = create_app(settings, services)
    twin.asgi_handler = twin.asgi_handler.routed
    with TestClient(twin) as client:
        yield client


def test_postbacks_are_answered_without_litestars_route_handlers(demo, services, monkeypatch):
    routed = []

    async def spy(request, endpoint):
        routed.append(request.url.path)
        raise AssertionError("a postback reached Litestar's route handler")

    monkeypatch.setattr(routes, "receive", spy)
    click = new_click(demo)

    got = demo.get(CREATION_URL, params={"token": SITE_TOKEN, "click": click})
    posted = demo.post(STATUS_URL, data={"token": SITE_TOKEN, "click": click, "status": "approve"})

    assert got.status_code == 200, got.text
    assert posted.status_code == 200, posted.text
    assert routed == []
    assert len(postback_log(demo, services, click=click)) == 2
    assert got.headers["x-request-id"] and posted.headers["x-request-id"]


def test_other_methods_and_paths_still_go_to_litestar(demo):
    assert demo.put(CREATION_URL, params={"token": SITE_TOKEN}).status_code == 405
    assert demo.get("/api/postbacks", headers=ADMIN).status_code == 200
    schema = demo.get("/schema/openapi.json").json()
    assert set(schema["paths"][CREATION_URL]) >= {"get", "post"}


REQUESTS = [
    ("GET", CREATION_URL, {"params": {"click": "nope"}}),  # missing token
    ("GET", CREATION_URL, {"params": {"token": "7-wrong", "flow": "101", "exto": "x"}}),
    ("GET", STATUS_URL, {"params": {"token": SITE_TOKEN, "click": "unknown-click"}}),
    ("GET", CREATION_URL, {"params": {"token": SITE_TOKEN, "flow": "101", "status": "{status}"}}),
    ("POST", STATUS_URL, {"content": b'{"token": ', "headers": JSON}),
    ("POST", CREATION_URL, {"content": b"a=1&a=2&token=7-s3cr3t"}),
    (
        "POST",
        CREATION_URL,
        {"content": b"token=7-s3cr3t&comment=" + b"z" * 1_100_000,
         "headers": {"content-type": "application/x-www-form-urlencoded"}},
    ),
    ("GET", CREATION_URL, {"params": {"token": SITE_TOKEN, "click": "c\x1fd"}}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "options"), REQUESTS)
def test_a_refusal_is_the_same_as_through_the_litestar_routes(
    demo, litestar_routed, method, path, options
):
    fast = demo.request(method, path, **options)
    routed = litestar_routed.request(method, path, **options)

    assert fast.status_code == routed.status_code and fast.status_code >= 400, fast.text
    assert fast.json() == routed.json()
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.headers.get("retry-after") == routed.headers.get("retry-after")


def test_an_accepted_postback_is_the_same_as_through_the_litestar_routes(demo, litestar_routed):
    params = {"token": SITE_TOKEN, "flow": "101"}
    fast = demo.get(CREATION_URL, params={**params, "exto": "fast-1"}).json()
    routed = litestar_routed.get(CREATION_URL, params={**params, "exto": "routed-1"}).json()

    assert fast.keys() == routed.keys()
    assert (
        (fast["status"], fast["outcome"])
        == (routed["status"], routed["outcome"])
        == (
            "ok",
            "created",
        )
    )


def test_an_unexpected_error_is_answered_by_the_apps_handler_and_counted(demo, services):
    async def broken(postback):
        raise RuntimeError("a bug")

    services.writer.submit = broken

    response = demo.get(CREATION_URL, params={"token": SITE_TOKEN, "flow": "101", "exto": "b"})

    refused(response, 500, "internal_error")
    assert response.headers["x-request-id"]
    metrics = demo.get("/metrics").text
    assert 'ledger_postbacks_total{endpoint="click",error="http_500",outcome="rejected"} 1.0' in (
        metrics
    )


def test_a_request_id_given_by_the_sender_is_echoed_and_stored(demo, services):
    response = demo.get(
        CREATION_URL,
        params={"token": SITE_TOKEN, "flow": "101", "exto": "with-id"},
        headers={"X-Request-Id": "sender-id-42"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "sender-id-42"
    (record,) = postback_log(demo, services, exto="with-id")
    assert record["request_id"] == "sender-id-42"
