"""Ending things in the catalog: retired sites, paused offers and flows, retired goals, ended
personal rates, revoked global tokens. New business is refused with its own code and recorded;
leads already there keep settling."""

from __future__ import annotations

from tests.checks import accepted, refused
from tests.controls import (
    ADMIN,
    DEMO_CATALOG,
    GLOBAL_TOKEN,
    change,
    create,
    postbacks,
    wait_for_postback_log,
)
from tests.ledger_controls import apply_catalog, commission


def demo_with(old: bytes, new: bytes) -> bytes:
    assert DEMO_CATALOG.count(old) == 1, old
    return DEMO_CATALOG.replace(old, new)


SITE_7 = b"  id = 7\n"
OFFER_1 = b'id = "offer-1"\n'
FLOW_101 = b'code = "cc-traffic"\n'


def test_a_retired_sites_token_is_refused_with_its_own_code_and_recorded(demo, services):
    apply_catalog(demo, demo_with(SITE_7, SITE_7 + b"  active = false\n"))

    body = refused(create(demo, flow="101", exto="retired-1"), 401, "site_retired")

    wait_for_postback_log(demo, services)
    logged = postbacks(demo, exto="retired-1")
    assert [(p["error"], p["http_status"]) for p in logged] == [("site_retired", 401)]
    assert "site 7" in body["message"]
    accepted(create(demo, flow="101", exto="retired-2", token=GLOBAL_TOKEN))


def test_a_paused_offer_refuses_new_leads_and_clicks_but_settles_the_leads_it_has(demo):
    existing = accepted(create(demo, flow="101", exto="paused-1"))
    apply_catalog(demo, demo_with(OFFER_1, OFFER_1 + b"active = false\n"))

    refused(create(demo, flow="101", exto="paused-2"), 410, "offer_paused")
    refused(change(demo, flow="101", exto="paused-3", status="approve", auto="1"), 410,
            "offer_paused")  # fmt: skip
    tracked = demo.get("/go/cc-traffic", follow_redirects=False)
    settled = accepted(change(demo, flow="101", exto="paused-1", status="approve"))

    assert tracked.status_code == 410 and "paused" in tracked.text
    booked = commission(demo, existing["id"], after=settled["position"])
    assert booked["bucket"] == "approved"
    assert booked["webmaster_commission"]["amount"] == "10.00"


def test_a_resumed_offer_takes_new_leads_again(demo):
    apply_catalog(demo, demo_with(OFFER_1, OFFER_1 + b"active = false\n"))
    refused(create(demo, flow="101", exto="resumed-1"), 410, "offer_paused")

    apply_catalog(demo, DEMO_CATALOG)

    accepted(create(demo, flow="101", exto="resumed-1"))


def test_a_paused_flow_refuses_new_leads_and_clicks_only_through_it(demo):
    apply_catalog(demo, demo_with(FLOW_101, FLOW_101 + b"active = false\n"))

    refused(create(demo, flow="101", exto="flow-1"), 410, "flow_paused")
    assert demo.get("/go/cc-traffic", follow_redirects=False).status_code == 410
    assert demo.get("/go/cc-push", follow_redirects=False).status_code == 302
    accepted(create(demo, flow="102", exto="flow-2"))


def test_a_retired_goal_takes_no_new_conversions(demo):
    existing = accepted(create(demo, flow="101", exto="goal-1", goal="dep"))
    dep = b'  id = "dep"\n'
    apply_catalog(demo, demo_with(dep, dep + b"  active = false\n"))

    refused(create(demo, flow="101", exto="goal-2", goal="dep"), 410, "goal_retired")
    refused(change(demo, flow="101", exto="goal-3", goal="deposit", status="new", auto="1"),
            410, "goal_retired")  # fmt: skip
    accepted(change(demo, flow="101", exto="goal-1", status="approve"))
    assert existing["id"]


def test_an_ended_personal_rate_pays_the_goal_rate_from_its_end(demo):
    personal = b'amount = "12.00"\ncurrency = "USD"\n'
    ended = (
        personal
        + b"effective_until = 2020-06-01T00:00:00Z\neffective_from = 2020-01-01T00:00:00Z\n"
    )
    apply_catalog(demo, demo_with(personal, ended))

    body = accepted(create(demo, flow="102", exto="ended-1"))

    assert commission(demo, body["id"], after=body["position"])["webmaster_commission"] == {
        "amount": "10.00",
        "currency": "USD",
    }


def test_a_global_token_left_out_of_the_list_is_revoked(demo):
    accepted(create(demo, flow="101", exto="revoke-1", token=GLOBAL_TOKEN))
    tokens = b'global_tokens = ["demo-global-token"]'
    answer = apply_catalog(demo, demo_with(tokens, b'global_tokens = ["another-global-token"]'))

    refused(create(demo, flow="101", exto="revoke-2", token=GLOBAL_TOKEN), 401, "invalid_token")
    accepted(create(demo, flow="101", exto="revoke-3", token="another-global-token"))
    assert any("1 revoked" in line for line in answer["changes"])
    assert demo.get("/api/catalog/rates", headers=ADMIN).status_code == 200
