"""Goals and per-lead amounts: `goal` and its aliases, `pay` + `cc`, `wm`, and strict amounts."""

from __future__ import annotations

import pytest

from tests.checks import accepted, assert_logged_refusal, event_types, refused, snapshot
from tests.controls import change, create, lead, new_click

REG = ({"amount": "15.00", "currency": "USD"}, {"amount": "10.00", "currency": "USD"})
DEP = ({"amount": "55.00", "currency": "USD"}, {"amount": "40.00", "currency": "USD"})


def amounts(view: dict) -> tuple[dict, dict]:
    return view["advertiser_payout"], view["webmaster_commission"]


def created_lead(client, **params: str) -> tuple[str, dict]:
    """A lead created on a fresh click with these parameters: (click, its view)."""
    click = new_click(client)
    body = accepted(create(client, click=click, **params))
    return click, lead(client, body["id"], after=body["position"])


def changed_lead(client, click: str, **params: str) -> dict:
    body = accepted(change(client, click=click, **params))
    return lead(client, body["id"], after=body["position"])


def test_a_creation_names_its_goal_by_id_or_any_alias_in_any_case(demo):
    for word in ["dep", "deposit", "ftd", "FTD", " Deposit "]:
        _, view = created_lead(demo, goal=word)

        assert (view["goal"], amounts(view)) == ("dep", DEP), word


def test_a_creation_without_a_goal_gets_the_offers_default_goal(demo):
    _, view = created_lead(demo)

    assert view["goal"] == "reg"
    assert amounts(view) == REG


def test_a_status_change_may_change_the_goal_by_an_alias(demo, services):
    click, view = created_lead(demo, goal="registration")

    after = changed_lead(demo, click, status="hold", goal="deposit")

    assert (after["goal"], after["status"]) == ("dep", "hold")
    assert event_types(services, view["id"]) == ["Created", "GoalChanged", "StatusChanged"]


def test_changing_the_goal_of_an_approved_lead_recalculates_its_commissions(demo):
    click, _ = created_lead(demo, goal="reg")
    approved = changed_lead(demo, click, status="approved")
    assert amounts(approved) == REG

    regoaled = changed_lead(demo, click, status="approved", goal="deposit")

    assert (regoaled["goal"], regoaled["status"]) == ("dep", "approve")
    assert amounts(regoaled) == DEP


def test_a_status_postback_with_only_a_goal_changes_the_goal(demo):
    click, _ = created_lead(demo)

    after = changed_lead(demo, click, goal="ftd")

    assert (after["goal"], after["status"]) == ("dep", "new")


def test_the_same_goal_again_changes_nothing(demo, services):
    click, view = created_lead(demo, goal="dep")

    body = accepted(change(demo, click=click, goal="deposit"))

    assert body["outcome"] == "unchanged"
    assert event_types(services, view["id"]) == ["Created"]


def test_an_unknown_goal_is_422_unknown_goal_and_changes_nothing(demo, services):
    click, view = created_lead(demo)
    before = snapshot(demo, services, view["id"])

    refused(change(demo, click=click, status="approve", goal="vip"), 422, "unknown_goal")

    assert snapshot(demo, services, view["id"]) == before
    assert_logged_refusal(demo, services, 422, "unknown_goal")


def test_a_creation_with_an_unknown_goal_is_422_and_creates_no_lead(demo, services):
    click = new_click(demo)

    refused(create(demo, click=click, goal="vip"), 422, "unknown_goal")

    assert_logged_refusal(demo, services, 422, "unknown_goal")
    refused(change(demo, click=click, status="hold"), 404, "lead_not_found")


def test_a_goal_of_another_offer_is_unknown_for_this_lead(demo):
    click, _ = created_lead(demo)

    refused(change(demo, click=click, goal="application"), 422, "unknown_goal")


def test_pay_and_cc_set_the_advertisers_payout_and_keep_the_webmasters_commission(demo):
    _, view = created_lead(demo, pay="18.40", cc="EUR")

    assert amounts(view) == ({"amount": "18.40", "currency": "EUR"}, REG[1])


def test_pay_without_cc_is_in_the_currency_of_the_goals_advertiser_rate(demo):
    _, view = created_lead(demo, pay="20")

    assert amounts(view) == ({"amount": "20.00", "currency": "USD"}, REG[1])


def test_a_currency_code_is_accepted_in_any_letter_case(demo):
    _, view = created_lead(demo, pay="7.5", cc="eur")

    assert view["advertiser_payout"] == {"amount": "7.50", "currency": "EUR"}


def test_wm_sets_the_webmasters_commission_in_the_goals_webmaster_currency(demo):
    _, view = created_lead(demo, wm="11.50")

    assert amounts(view) == (REG[0], {"amount": "11.50", "currency": "USD"})


def test_wm_and_pay_together_set_both_sides(demo):
    _, view = created_lead(demo, pay="30", cc="GBP", wm="12")

    assert amounts(view) == (
        {"amount": "30.00", "currency": "GBP"},
        {"amount": "12.00", "currency": "USD"},
    )


def test_wm_follows_the_currency_of_the_goals_webmaster_rate_on_another_offer(demo):
    body = accepted(create(demo, flow="201", exto="loan-1", token="8-l0an-key", wm="3"))

    view = lead(demo, body["id"], after=body["position"])

    assert view["webmaster_commission"] == {"amount": "3.00", "currency": "EUR"}


def test_a_status_change_with_pay_sets_the_payout_of_the_lead(demo, services):
    click, view = created_lead(demo)

    after = changed_lead(demo, click, status="approved", pay="21.10", wm="9")

    assert amounts(after) == (
        {"amount": "21.10", "currency": "USD"},
        {"amount": "9.00", "currency": "USD"},
    )
    assert event_types(services, view["id"]) == ["Created", "PayoutSet", "StatusChanged"]


def test_the_same_pay_again_adds_no_event(demo, services):
    click, view = created_lead(demo, pay="20")

    body = accepted(change(demo, click=click, pay="20.00"))

    assert body["outcome"] == "unchanged"
    assert event_types(services, view["id"]) == ["Created", "PayoutSet"]


def test_a_goal_change_drops_per_lead_amounts_for_the_new_goals_rate(demo):
    click, _ = created_lead(demo, pay="18.40", cc="EUR")

    after = changed_lead(demo, click, goal="dep")

    assert amounts(after) == DEP


def test_a_goal_change_with_pay_keeps_the_amount_sent_with_it(demo):
    click, _ = created_lead(demo)

    after = changed_lead(demo, click, status="approved", goal="dep", pay="60")

    assert amounts(after) == ({"amount": "60.00", "currency": "USD"}, DEP[1])


def test_a_webmasters_personal_rate_wins_on_the_webmaster_side(demo):
    click = new_click(demo, flow="cc-push")
    body = accepted(create(demo, click=click))

    view = lead(demo, body["id"], after=body["position"])

    assert (view["webmaster"], *amounts(view)) == (
        "wm-2",
        REG[0],
        {"amount": "12.00", "currency": "USD"},
    )


NOT_PLAIN_AMOUNTS = ["abc", "-5", "-0.01", "+5", "1e3", "1E3", "NaN", "nan", "Infinity", "inf",
                     "1,000", "10.001", "0x10", "1 000", "10.5.1", "\u0661\u0660"]  # fmt: skip


@pytest.mark.parametrize("name", ["pay", "wm"])
def test_every_amount_that_is_not_a_plain_decimal_is_422_invalid_amount(demo, services, name):
    click, view = created_lead(demo)
    before = snapshot(demo, services, view["id"])

    for amount in NOT_PLAIN_AMOUNTS:
        response = change(demo, click=click, status="approve", **{name: amount})
        refused(response, 422, "invalid_amount")
        assert_logged_refusal(demo, services, 422, "invalid_amount")

    assert snapshot(demo, services, view["id"]) == before


def test_an_unknown_currency_is_422_unknown_currency_and_changes_nothing(demo, services):
    click, view = created_lead(demo)
    before = snapshot(demo, services, view["id"])

    refused(change(demo, click=click, status="approve", pay="5", cc="XYZ"), 422, "unknown_currency")

    assert snapshot(demo, services, view["id"]) == before
    assert_logged_refusal(demo, services, 422, "unknown_currency")


def test_a_creation_with_an_invalid_amount_creates_no_lead(demo, services):
    click = new_click(demo)

    refused(create(demo, click=click, pay="12abc"), 422, "invalid_amount")

    refused(change(demo, click=click, status="hold"), 404, "lead_not_found")
