"""Goals and per-lead amounts without a database or HTTP: `goal` and its aliases, `pay` + `cc`,
`wm`, and the strict amounts senders must send."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.money import Money
from tests.domain.rule_controls import CATALOG_APPLIED, OTHER_OFFER_TOKEN, Rules, refusal


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def created_lead(rules: Rules, **params: str):
    """A lead created on a fresh click with these parameters: (click, the lead)."""
    click = rules.new_click()
    return click, rules.lead(rules.create(click=click, **params).lead_id)


def overrides(lead) -> tuple[Money | None, Money | None]:
    return lead.advertiser_payout_override, lead.webmaster_commission_override


@pytest.mark.parametrize("word", ["dep", "deposit", "ftd", "FTD", " Deposit "])
def test_a_creation_names_its_goal_by_id_or_any_alias_in_any_case(word):
    _, lead = created_lead(Rules(), goal=word)

    assert lead.goal == "dep"


def test_a_creation_without_a_goal_gets_the_offers_default_goal():
    _, lead = created_lead(Rules(), exto="e-1")

    assert lead.goal == "reg"


def test_a_status_change_may_change_the_goal_by_an_alias():
    rules = Rules()
    click, lead = created_lead(rules, goal="registration")

    changed = rules.change(click=click, status="hold", goal="deposit")

    assert (lead.goal, lead.status) == ("dep", "hold")
    assert changed.event_types() == ["Lead.GoalChanged", "Lead.StatusChanged"]
    assert (changed.events[0].previous_goal, changed.events[0].goal) == ("reg", "dep")


def test_the_goal_of_an_approved_lead_may_change():
    rules = Rules()
    click, lead = created_lead(rules)
    rules.change(click=click, status="approved")

    changed = rules.change(click=click, status="approved", goal="deposit")

    assert (changed.outcome, lead.goal, lead.status) == ("changed", "dep", "approve")


def test_a_status_postback_with_only_a_goal_changes_the_goal():
    rules = Rules()
    click, lead = created_lead(rules)

    changed = rules.change(click=click, goal="ftd")

    assert (changed.event_types(), lead.goal, lead.status) == (["Lead.GoalChanged"], "dep", "new")


def test_the_same_goal_again_by_an_alias_changes_nothing():
    rules = Rules()
    click, _ = created_lead(rules, goal="dep")

    again = rules.change(click=click, goal="deposit")

    assert (again.outcome, again.events) == ("unchanged", [])


def test_pay_and_cc_set_the_advertisers_payout_and_keep_the_webmasters_rate():
    _, lead = created_lead(Rules(), pay="18.40", cc="EUR")

    assert overrides(lead) == (Money(Decimal("18.40"), "EUR"), None)


def test_pay_without_cc_is_in_the_currency_of_the_goals_advertiser_rate():
    _, lead = created_lead(Rules(), pay="20")

    assert overrides(lead) == (usd("20.00"), None)


def test_a_currency_code_is_accepted_in_any_letter_case():
    _, lead = created_lead(Rules(), pay="7.5", cc="eur")

    assert lead.advertiser_payout_override == Money(Decimal("7.50"), "EUR")


def test_wm_sets_the_webmasters_commission_in_the_goals_webmaster_currency():
    _, lead = created_lead(Rules(), wm="11.50")

    assert overrides(lead) == (None, usd("11.50"))


def test_wm_ignores_cc_which_names_the_advertisers_currency():
    _, lead = created_lead(Rules(), wm="12", cc="GBP")

    assert overrides(lead) == (None, usd("12.00"))


def test_wm_and_pay_together_set_both_sides():
    _, lead = created_lead(Rules(), pay="30", cc="GBP", wm="12")

    assert overrides(lead) == (Money(Decimal("30.00"), "GBP"), usd("12.00"))


def test_wm_follows_the_currency_of_the_goals_webmaster_rate_on_another_offer():
    rules = Rules()

    created = rules.create(flow="201", exto="loan-1", token=OTHER_OFFER_TOKEN, wm="3")

    assert overrides(rules.lead(created.lead_id)) == (None, Money(Decimal("3.00"), "EUR"))


def test_before_any_rate_is_in_force_amounts_take_the_goals_first_rate_currency():
    rules = Rules()
    before = CATALOG_APPLIED - timedelta(days=1)

    created = rules.create(at=before, flow="201", exto="early", token=OTHER_OFFER_TOKEN, pay="4")

    assert overrides(rules.lead(created.lead_id)) == (Money(Decimal("4.00"), "EUR"), None)


def test_a_creation_with_amounts_records_them_in_the_same_save():
    rules = Rules()

    created = rules.create(flow="101", exto="e-1", pay="20")

    assert created.event_types() == ["Lead.Created", "Lead.PayoutSet"]


def test_a_status_change_with_pay_and_wm_sets_both_before_the_status():
    rules = Rules()
    click, lead = created_lead(rules)

    changed = rules.change(click=click, status="approved", pay="21.10", wm="9")

    assert overrides(lead) == (usd("21.10"), usd("9.00"))
    assert changed.event_types() == ["Lead.PayoutSet", "Lead.StatusChanged"]


def test_the_same_pay_again_written_differently_adds_no_event():
    rules = Rules()
    click, _ = created_lead(rules, pay="20")

    again = rules.change(click=click, pay="20.00")

    assert (again.outcome, again.events) == ("unchanged", [])


def test_pay_for_one_side_keeps_the_amount_sent_for_the_other():
    rules = Rules()
    click, lead = created_lead(rules, pay="20", wm="9")

    rules.change(click=click, wm="11")

    assert overrides(lead) == (usd("20.00"), usd("11.00"))


def test_a_goal_change_drops_per_lead_amounts_for_the_new_goals_rate():
    rules = Rules()
    click, lead = created_lead(rules, pay="18.40", cc="EUR", wm="3")

    rules.change(click=click, goal="dep")

    assert overrides(lead) == (None, None)


def test_a_goal_change_with_pay_keeps_the_amount_sent_with_it():
    rules = Rules()
    click, lead = created_lead(rules, pay="18.40", cc="EUR")

    changed = rules.change(click=click, status="approved", goal="dep", pay="60")

    assert overrides(lead) == (usd("60.00"), None)
    assert changed.event_types() == ["Lead.GoalChanged", "Lead.PayoutSet", "Lead.StatusChanged"]


def test_a_goal_change_with_the_pay_the_lead_already_had_sets_it_again():
    rules = Rules()
    click, lead = created_lead(rules, pay="20")

    changed = rules.change(click=click, goal="dep", pay="20")

    assert overrides(lead) == (usd("20.00"), None)
    assert changed.event_types() == ["Lead.GoalChanged", "Lead.PayoutSet"]


NOT_PLAIN_AMOUNTS = ["abc", "-5", "-0.01", "+5", "1e3", "1E3", "NaN", "nan", "Infinity", "inf",
                     "1,000", "10.001", "0x10", "1 000", "10.5.1", "\u0661\u0660"]  # fmt: skip


@pytest.mark.parametrize("amount", NOT_PLAIN_AMOUNTS)
@pytest.mark.parametrize("name", ["pay", "wm"])
def test_every_amount_that_is_not_a_plain_decimal_is_422_invalid_amount(name, amount):
    rules = Rules()
    click, lead = created_lead(rules)

    refused = rules.refuse_change(click=click, status="approve", **{name: amount})

    assert refusal(refused) == (422, "invalid_amount")
    assert (lead.status, lead.version) == ("new", 1)


REFUSED = {
    "an unknown currency": ({"status": "approve", "pay": "5", "cc": "XYZ"}, "unknown_currency"),
    "an unknown goal": ({"status": "approve", "goal": "vip"}, "unknown_goal"),
    "a goal of another offer": ({"goal": "application"}, "unknown_goal"),
    "a literal {payout}": ({"status": "approve", "pay": "{payout}"}, "unsubstituted_macro"),
    "cents in yen": ({"status": "approve", "pay": "10.5", "cc": "JPY"}, "invalid_amount"),
}


@pytest.mark.parametrize(("params", "code"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_bad_goal_or_amount_is_422_and_changes_nothing(params, code):
    rules = Rules()
    click, lead = created_lead(rules)

    assert refusal(rules.refuse_change(click=click, **params)) == (422, code)
    assert (lead.goal, lead.status, lead.version) == ("reg", "new", 1)


@pytest.mark.parametrize(
    ("params", "code"),
    [({"goal": "vip"}, "unknown_goal"), ({"pay": "12abc"}, "invalid_amount"),
     ({"pay": "5", "cc": "XYZ"}, "unknown_currency")],
)  # fmt: skip
def test_a_creation_with_a_bad_goal_or_amount_creates_no_lead(params, code):
    rules = Rules()
    click = rules.new_click()

    assert refusal(rules.refuse_creation(click=click, **params)) == (422, code)
    assert refusal(rules.refuse_change(click=click, status="hold")) == (404, "lead_not_found")
