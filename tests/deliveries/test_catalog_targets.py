"""Postback targets in the catalog file: refused with the field's place when wrong."""

from __future__ import annotations

import pytest

from domain.catalog_document import CatalogError, parse_catalog
from tests.controls import ADMIN
from tests.delivery_controls import postbacks_toml

FLOW = '[[flows]]\nid = 101\ncode = "cc-traffic"\noffer = "offer-1"\nwebmaster = "wm-1"\n'


def _problems(toml: str) -> str:
    with pytest.raises(CatalogError) as refused:
        parse_catalog(toml)
    return str(refused.value)


def test_an_unknown_macro_is_refused_naming_the_fields_path():
    problems = _problems(postbacks_toml("https://t.example/pb?sum={payout}&c={click}"))
    assert "$.webmasters[0].postbacks[0].url: unknown macro {payout}" in problems


def test_a_url_that_is_not_http_is_refused_naming_the_fields_path():
    toml = FLOW + '  [[flows.postbacks]]\n  url = "https://t.example/{click}"\n'
    toml += '  [[flows.postbacks]]\n  url = "ftp://t.example/{click}"\n'
    assert "$.flows[0].postbacks[1].url: 'ftp://t.example/{click}' is not an http(s) URL" in (
        _problems(toml)
    )


def test_unknown_events_and_methods_are_refused_by_place():
    problems = _problems(
        postbacks_toml("https://t.example/", events=["approve", "sale"], method="PUT")
    )
    assert "$.webmasters[0].postbacks[0].events[1]: unknown event 'sale'" in problems
    assert "$.webmasters[0].postbacks[0].method: 'PUT' is not one of GET, POST, JSON" in problems


def test_an_unknown_key_in_a_postback_is_a_typo_refused():
    assert "postbacks[0]" in _problems(postbacks_toml("https://t.example/", evnets=["approve"]))


def test_the_api_refuses_a_bad_target_with_422_and_changes_nothing(demo):
    response = demo.post(
        "/api/admin/catalog", content=postbacks_toml("https://t.example/{nope}"), headers=ADMIN
    )
    assert response.status_code == 422 and "$.webmasters[0].postbacks[0].url" in response.text
    assert demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"] == []


def test_targets_applied_are_reported_once_and_a_listed_webmaster_without_them_has_none(demo):
    toml = postbacks_toml("https://t.example/pb?c={click}")
    first = demo.post("/api/admin/catalog", content=toml, headers=ADMIN).json()
    again = demo.post("/api/admin/catalog", content=toml, headers=ADMIN).json()
    cleared = demo.post(
        "/api/admin/catalog", content='[[webmasters]]\nid = "wm-1"\nname = "Traffic Co"\n',
        headers=ADMIN,
    ).json()  # fmt: skip
    assert "postbacks of webmaster wm-1: 1 target(s)" in first["changes"]
    assert again["changes"] == []
    assert cleared["changes"] == ["postbacks of webmaster wm-1: 0 target(s)"]


@pytest.mark.parametrize(
    "url, why",
    [
        ("https://t.example/pb?st={status} x", "a space"),
        ("https://t.example/pb\r\nX-Evil: 1", "line break"),
        ("https://t.example:0/pb", "port is not a number from 1 to 65535"),
        ("https://t.example:70000/pb", "port is not a number from 1 to 65535"),
        ("http://{sub2}:9416/pb", "a macro in the scheme, host or port"),
        ("http://t.example:{sub1}/pb", "a macro in the scheme, host or port"),
        ("{sub1}://t.example/pb", "a macro in the scheme, host or port"),
    ],
)
def test_a_url_that_cannot_be_sent_is_refused_at_apply_naming_the_field(url, why):
    problems = _problems(postbacks_toml(url.replace("\r\n", "\\r\\n")))
    assert f"$.webmasters[0].postbacks[0].url: {why}" in problems or (
        "$.webmasters[0].postbacks[0].url:" in problems and why in problems
    )
