"""Tracking links: `GET /go/{flow}` records a click and redirects to the offer's landing page."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlparse

import pytest

from domain.identity import click_aggregate_id
from tests.checks import accepted
from tests.controls import create, new_click

URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


def follow(client, path: str, **options):
    return client.get(path, follow_redirects=False, **options)


def click_of(response) -> str:
    return parse_qs(urlparse(response.headers["location"]).query)["click"][0]


@pytest.mark.parametrize("flow", ["cc-traffic", "101"])
def test_a_tracking_link_redirects_to_the_landing_url_with_the_click_filled_in(demo, flow):
    response = follow(demo, f"/go/{flow}")

    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("https://acme.example/land?click=")
    assert "{click}" not in location
    assert URL_SAFE.fullmatch(click_of(response))


def test_the_click_is_recorded_with_flow_ip_user_agent_and_subs(demo, services):
    response = follow(
        demo,
        "/go/cc-push",
        params={"sub1": "banner", "sub2": "", "sub3": "x y", "sub5": "five"},
        headers={"User-Agent": "Mozilla/5.0 (test)"},
    )

    click = services.ledger.repository.get(click_aggregate_id(click_of(response)))
    assert (click.flow, click.offer, click.webmaster) == (102, "offer-1", "wm-2")
    assert click.user_agent == "Mozilla/5.0 (test)"
    assert click.ip == "testclient"
    assert click.subs == {"sub1": "banner", "sub3": "x y", "sub5": "five"}
    assert click.created_on is not None


def test_another_offers_flow_lands_on_that_offers_page(demo):
    response = follow(demo, "/go/loan-seo")

    assert response.headers["location"].startswith("https://loans.example/apply?sub=")


def test_an_unknown_flow_is_a_404_page_not_a_redirect(demo, services):
    response = follow(demo, "/go/no-such-flow")

    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "not found" in response.text.lower()


def test_an_unknown_flow_id_is_a_404_page(demo):
    assert follow(demo, "/go/999").status_code == 404


def test_the_404_page_does_not_echo_markup_from_the_link(demo):
    response = follow(demo, "/go/%3Cscript%3Ealert(1)%3C%2Fscript%3E")

    assert response.status_code == 404
    assert "<script>" not in response.text


def test_click_ids_carry_at_least_96_random_bits_and_are_url_safe(demo):
    clicks = [new_click(demo) for _ in range(64)]

    assert len(set(clicks)) == len(clicks)
    for click in clicks:
        assert URL_SAFE.fullmatch(click), click
        assert len(click) * 6 >= 96, click
    # Every one of the first 96 bits takes both values across the sample: a counter or a clock
    # would leave high bits fixed. (A truly random bit stays fixed in 64 draws with p = 2**-63.)
    bits = [_bits(click)[:96] for click in clicks]
    constant = [i for i in range(96) if len({b[i] for b in bits}) == 1]
    assert constant == []


def _bits(click: str) -> str:
    raw = base64.urlsafe_b64decode(click + "=" * (-len(click) % 4))
    return "".join(f"{byte:08b}" for byte in raw)


def test_a_click_from_a_tracking_link_can_be_reported_as_a_lead(demo):
    click = new_click(demo, sub1="s")

    body = accepted(create(demo, click=click))

    assert body["outcome"] == "created"
