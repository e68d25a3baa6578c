"""A status postback that creates its lead, without a database or HTTP: with an `stn` word the
lead starts as new, with `auto=1` directly in the status sent; without either it is 404."""

from __future__ import annotations

import pytest

from tests.domain.rule_controls import Rules, a_lead, refusal


def test_stn_lets_a_single_status_postback_create_the_lead_as_new():
    rules = Rules()
    click = rules.new_click()

    created = rules.change(click=click, status="pending", stn="new,pending")

    lead = rules.lead(created.lead_id)
    assert (created.outcome, lead.status, lead.click) == ("created", "new", click)
    assert sorted(created.event_types()) == ["Click.LeadAttached", "Lead.Created"]


def test_stn_postbacks_then_change_the_lead_they_created():
    rules = Rules()
    click = rules.new_click()
    created = rules.change(click=click, status="new", stn="new")

    approved = rules.change(click=click, status="approved", stn="new")

    assert (approved.lead_id, approved.outcome) == (created.lead_id, "changed")
    assert rules.lead(created.lead_id).status == "approve"


def test_a_status_not_matching_stn_does_not_create_the_lead():
    rules = Rules()
    click = rules.new_click()

    refused = rules.refuse_change(click=click, status="approved", stn="new")

    assert refusal(refused) == (404, "lead_not_found")


@pytest.mark.parametrize("auto", ["1", "true", "YES", " on ", "y"])
def test_auto_creates_a_missing_lead_directly_in_the_status_sent(auto):
    rules = Rules()
    click = rules.new_click()

    created = rules.change(click=click, status="approved", auto=auto)

    assert (created.outcome, rules.lead(created.lead_id).status) == ("created", "approve")
    assert rules.events_of(created.lead_id) == ["Created"]


@pytest.mark.parametrize("auto", ["0", "no", "", "2"])
def test_auto_other_than_a_yes_word_does_not_create_the_lead(auto):
    rules = Rules()
    click = rules.new_click()

    refused = rules.refuse_change(click=click, status="approved", auto=auto)

    assert refusal(refused) == (404, "lead_not_found")


def test_stn_creates_the_lead_as_new_where_auto_creates_it_in_the_status_sent():
    rules = Rules()
    by_stn = rules.change(click=rules.new_click(), status="pending", stn="pending")
    by_auto = rules.change(click=rules.new_click(), status="pending", auto="1")

    assert rules.lead(by_stn.lead_id).status == "new"
    assert rules.lead(by_auto.lead_id).status == "processing"


def test_auto_changes_an_existing_lead_like_any_status_postback():
    rules = Rules()
    click, lead_id = a_lead(rules)

    changed = rules.change(click=click, status="approved", auto="1")

    assert (changed.lead_id, changed.outcome) == (lead_id, "changed")


def test_auto_by_flow_and_exto_creates_the_lead_a_later_creation_finds():
    rules = Rules()
    created = rules.change(flow="101", exto="late-1", status="hold", auto="1")

    again = rules.create(flow="101", exto="late-1")

    assert (again.outcome, again.lead_id) == ("duplicate", created.lead_id)
    assert rules.lead(created.lead_id).status == "hold"
