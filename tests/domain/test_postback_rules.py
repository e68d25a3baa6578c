"""The postback rules without a database or HTTP: creating leads, naming them, who may send.

Statuses are in test_status_rules.py, goals and amounts in test_goal_and_payout_rules.py. The
same rules are tested end to end through HTTP and PostgreSQL in tests/postbacks/.
"""

from __future__ import annotations

import pytest

from domain.identity import lead_id_for_click, lead_id_for_flow
from tests.domain.rule_controls import GLOBAL_TOKEN, OTHER_OFFER_TOKEN, Rules, refusal


def test_a_creation_creates_a_new_lead_of_the_click_at_the_offers_default_goal():
    rules = Rules()
    click = rules.new_click()

    created = rules.create(click=click)

    assert created.outcome == "created"
    lead = rules.lead(created.lead_id)
    assert (lead.click, lead.exto, lead.flow, lead.offer, lead.advertiser, lead.webmaster) == (
        click, None, 101, "offer-1", "adv-1", "wm-1",
    )  # fmt: skip
    assert (lead.goal, lead.status, lead.version) == ("reg", "new", 1)
    assert (lead.advertiser_payout_override, lead.webmaster_commission_override) == (None, None)


def test_a_creation_attaches_the_lead_to_its_click_in_the_same_save():
    rules = Rules()
    click = rules.new_click()

    created = rules.create(click=click, exto="order-1")

    assert sorted(created.event_types()) == ["Click.LeadAttached", "Lead.Created"]
    assert rules.aggregates.click(click).leads == {"order-1": created.lead_id}


def test_a_repeated_creation_for_the_same_click_answers_with_the_existing_lead():
    rules = Rules()
    click = rules.new_click()
    first = rules.create(click=click)

    again = rules.create(click=click)

    assert (again.outcome, again.lead_id, again.events) == ("duplicate", first.lead_id, [])


def test_a_creation_with_the_same_click_and_exto_twice_makes_one_lead():
    rules = Rules()
    click = rules.new_click()
    first = rules.create(click=click, exto="adv-lead-1")

    again = rules.create(click=click, exto="adv-lead-1")

    assert (again.outcome, again.lead_id) == ("duplicate", first.lead_id)
    assert rules.events_of(first.lead_id) == ["Created"]
    assert first.lead_id == lead_id_for_click(click, "adv-lead-1")


def test_creations_with_different_exto_on_one_click_make_separate_leads():
    rules = Rules()
    click = rules.new_click()

    first = rules.create(click=click, exto="order-1")
    second = rules.create(click=click, exto="order-2")

    assert first.lead_id != second.lead_id
    assert second.outcome == "created"
    assert rules.lead(second.lead_id).click == click


def test_a_creation_without_exto_for_a_click_with_one_lead_answers_with_that_lead():
    rules = Rules()
    click = rules.new_click()
    with_exto = rules.create(click=click, exto="order-1")

    without = rules.create(click=click)

    assert (without.outcome, without.lead_id) == ("duplicate", with_exto.lead_id)


def test_a_creation_without_exto_for_a_click_with_several_leads_is_ambiguous():
    rules = Rules()
    click = rules.new_click()
    rules.create(click=click, exto="order-1")
    rules.create(click=click, exto="order-2")

    assert refusal(rules.refuse_creation(click=click)) == (409, "ambiguous_lead")


def test_a_creation_by_flow_id_and_exto_makes_a_lead_without_a_click():
    rules = Rules()

    created = rules.create(flow="101", exto="app-install-1")

    lead = rules.lead(created.lead_id)
    assert (lead.click, lead.flow, lead.exto, lead.webmaster) == (
        None,
        101,
        "app-install-1",
        "wm-1",
    )
    assert created.lead_id == lead_id_for_flow(101, "app-install-1")
    assert created.event_types() == ["Lead.Created"]


def test_a_creation_by_flow_code_and_exto_makes_a_lead_of_that_flow():
    rules = Rules()

    created = rules.create(code="cc-push", exto="app-install-2")

    lead = rules.lead(created.lead_id)
    assert (lead.flow, lead.webmaster, lead.offer) == (102, "wm-2", "offer-1")


def test_a_flow_id_and_its_code_with_the_same_exto_name_the_same_lead():
    rules = Rules()
    by_id = rules.create(flow="101", exto="same-order")

    by_code = rules.create(code="cc-traffic", exto="same-order")

    assert (by_code.outcome, by_code.lead_id) == ("duplicate", by_id.lead_id)


def test_each_creation_by_flow_without_exto_is_a_new_lead():
    rules = Rules()

    first = rules.create(flow="101")
    second = rules.create(flow="101")

    assert first.lead_id != second.lead_id
    assert second.outcome == "created"


def test_the_same_exto_on_two_flows_names_two_leads():
    rules = Rules()

    first = rules.create(flow="101", exto="shared-id")
    second = rules.create(flow="102", exto="shared-id")

    assert first.lead_id != second.lead_id


def test_a_creation_names_the_click_before_the_flow():
    rules = Rules()
    click = rules.new_click("cc-push")

    created = rules.create(click=click, flow="101", exto="e-1")

    assert (rules.lead(created.lead_id).flow, rules.lead(created.lead_id).click) == (102, click)


def test_every_event_of_a_postback_carries_the_postbacks_id():
    rules = Rules()
    click = rules.new_click()
    rules.create(click=click, goal="reg")

    changed = rules.change(click=click, status="approve", goal="dep", pay="70")

    assert changed.event_types() == ["Lead.GoalChanged", "Lead.PayoutSet", "Lead.StatusChanged"]
    assert {e.postback_id for e in changed.events} == {changed.postback_id}
    assert rules.lead(changed.lead_id).last_postback_id == changed.postback_id


REFUSED_CREATIONS = {
    "no click, flow or code": ({"exto": "e-1"}, 400, "missing_parameter"),
    "an unknown click": ({"click": "never-issued"}, 404, "unknown_click"),
    "an unknown flow id": ({"flow": "999", "exto": "e-1"}, 404, "unknown_flow"),
    "an unknown flow code": ({"code": "no-such-flow", "exto": "e-1"}, 404, "unknown_flow"),
    "no token": ({"token": None, "flow": "101", "exto": "e-1"}, 401, "missing_token"),
    "a blank token": ({"token": "  ", "flow": "101", "exto": "e-1"}, 401, "missing_token"),
    "an unknown token": ({"token": "7-guess", "flow": "101", "exto": "e-1"}, 401, "invalid_token"),
    "a site token of another offer": (
        {"token": OTHER_OFFER_TOKEN, "flow": "101", "exto": "e-1"}, 401, "token_not_for_offer",
    ),
    "a literal {lead_id}": ({"flow": "101", "exto": "{lead_id}"}, 422, "unsubstituted_macro"),
    "a literal {click}": ({"click": "{click}"}, 422, "unsubstituted_macro"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "http_status", "code"), list(REFUSED_CREATIONS.values()), ids=list(REFUSED_CREATIONS)
)
def test_a_refused_creation_gets_its_own_code_and_changes_nothing(params, http_status, code):
    rules = Rules()

    assert refusal(rules.refuse_creation(**params)) == (http_status, code)


def test_a_refused_creation_leaves_no_lead_for_a_later_status():
    rules = Rules()
    click = rules.new_click()
    rules.refuse_creation(click=click, exto="{lead_id}")

    assert refusal(rules.refuse_change(click=click, status="hold")) == (404, "lead_not_found")


def test_a_site_token_of_another_offer_cannot_change_a_lead_of_this_one():
    rules = Rules()
    click = rules.new_click()
    rules.create(click=click)

    refused = rules.refuse_change(token=OTHER_OFFER_TOKEN, click=click, status="approve")

    assert refusal(refused) == (401, "token_not_for_offer")


def test_a_site_token_creates_leads_for_its_own_offer():
    rules = Rules()

    created = rules.create(token=OTHER_OFFER_TOKEN, code="loan-seo", exto="l-1")

    assert rules.lead(created.lead_id).offer == "offer-2"


def test_a_global_token_creates_and_changes_leads_of_every_offer():
    rules = Rules()

    card = rules.create(token=GLOBAL_TOKEN, flow="101", exto="g-1")
    loan = rules.create(token=GLOBAL_TOKEN, flow="201", exto="g-1")
    changed = rules.change(token=GLOBAL_TOKEN, flow="201", exto="g-1", status="approve")

    assert (rules.lead(card.lead_id).offer, rules.lead(loan.lead_id).offer) == (
        "offer-1",
        "offer-2",
    )
    assert (changed.lead_id, changed.outcome) == (loan.lead_id, "changed")


def test_braces_that_are_not_a_macro_are_kept_as_text():
    rules = Rules()

    created = rules.create(flow="101", exto="order {42}", comment="{ not a macro }")

    assert rules.lead(created.lead_id).exto == "order {42}"
