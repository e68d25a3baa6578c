"""Hold rules in the catalog and the hold's terms fixed when a lead enters hold (issue 21)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.catalog import Catalog
from domain.catalog_document import CatalogError, parse_catalog
from domain.hold_release import HOLD_EXPIRED, Released, release, release_id
from domain.hold_rules import BadDuration, HoldTerms, parse_duration
from domain.statuses import Status
from tests.domain.rule_controls import (
    CATALOG_APPLIED,
    DEMO_CATALOG,
    NOW,
    Rules,
    a_lead,
)

DEMO = DEMO_CATALOG.read_text()
REG_GOAL = 'id = "reg"\n'
OFFER_1 = 'id = "offer-1"\n'


def demo_with_holds(offer: str = "", reg: str = "") -> str:
    """The demo file with extra lines in offer-1's table (`offer`) and its goal reg's (`reg`)."""
    text = DEMO.replace(OFFER_1, OFFER_1 + offer + "\n", 1)
    return text.replace(REG_GOAL, REG_GOAL + "  " + reg + "\n", 1)


def catalog_of(*texts: str) -> Catalog:
    catalog = Catalog()
    for n, text in enumerate(texts):
        catalog.apply_document(parse_catalog(text), CATALOG_APPLIED + timedelta(minutes=n))
    return catalog


def rules_with(*texts: str) -> Rules:
    return Rules(catalog_of(*texts).view())


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", 90), ("15m", 900), ("72h", 72 * 3600), ("30d", 30 * 86400), ("3650d", 3650 * 86400)],
)
def test_a_duration_is_a_whole_number_and_a_unit(text, expected):
    assert parse_duration(text) == timedelta(seconds=expected)


@pytest.mark.parametrize(
    "text",
    ["0d", "-5d", "3651d", "87601h", "99999999999999999999d", "5", "5w", "1.5d", "", "d", "٣d"],
)
def test_a_duration_that_is_zero_negative_too_long_or_unparsable_is_refused(text):
    with pytest.raises(BadDuration):
        parse_duration(text)


@pytest.mark.parametrize(
    ("offer", "reg", "path"),
    [
        ('hold_for = "-1d"', "", "$.offers[0].hold_for"),
        ('hold_for = "0s"', "", "$.offers[0].hold_for"),
        ('hold_for = "soon"', "", "$.offers[0].hold_for"),
        ('hold_for = "3651d"', "", "$.offers[0].hold_for"),
        ("", 'hold_for = "99999999999999999999d"', "$.offers[0].goals[0].hold_for"),
        ("", 'hold_for = "12 parsecs"', "$.offers[0].goals[0].hold_for"),
        ('after_hold = "trash"', "", "$.offers[0].after_hold"),
        ("", 'after_hold = "maybe"', "$.offers[0].goals[0].after_hold"),
    ],
)
def test_a_bad_hold_rule_is_refused_at_apply_with_the_fields_path(offer, reg, path):
    catalog = catalog_of(DEMO)
    catalog.collect_events()
    with pytest.raises(CatalogError) as refused:
        catalog.apply_document(parse_catalog(demo_with_holds(offer, reg)), NOW)
    assert path in str(refused.value)
    assert catalog.collect_events() == []


def test_applying_the_same_hold_rules_twice_changes_nothing():
    text = demo_with_holds('hold_for = "30d"', 'hold_for = "72h"\n  after_hold = "cancel"')
    catalog = catalog_of(text)
    assert catalog.apply_document(parse_catalog(text), NOW).is_empty


def test_a_lead_entering_hold_records_the_goals_rule_and_the_catalog_version():
    rules = rules_with(demo_with_holds('hold_for = "30d"', 'hold_for = "72h"'))
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")
    hold = rules.lead(lead_id).hold
    assert hold["rule"] == "offer-1/reg"
    assert hold["after_hold"] == "approve"
    assert hold["catalog_version"] == rules.catalog.version
    assert HoldTerms.from_event(hold).until == NOW + timedelta(hours=72)


def test_the_offers_rule_applies_to_a_goal_without_its_own():
    rules = rules_with(demo_with_holds('hold_for = "30d"\nafter_hold = "cancel"'))
    click, lead_id = a_lead(rules, goal="dep")
    rules.change(click=click, status="hold")
    terms = HoldTerms.from_event(rules.lead(lead_id).hold)
    assert (terms.rule, terms.after_hold, terms.until) == (
        "offer-1",
        "cancel",
        NOW + timedelta(days=30),
    )
    assert terms.description() == "offer-1: 30 days, then cancel"


def test_a_lead_created_on_hold_by_auto_gets_its_hold_terms():
    rules = rules_with(demo_with_holds('hold_for = "1h"'))
    click = rules.new_click()
    lead_id = rules.change(click=click, status="hold", auto="1").lead_id
    assert HoldTerms.from_event(rules.lead(lead_id).hold).until == NOW + timedelta(hours=1)


def test_without_a_rule_a_hold_has_no_end():
    rules = Rules()
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")
    assert rules.lead(lead_id).hold is None


def test_the_release_time_comes_from_the_catalog_version_in_force_when_the_hold_began():
    first = demo_with_holds('hold_for = "30d"')
    later = demo_with_holds('hold_for = "2d"\nafter_hold = "cancel"')
    catalog = catalog_of(first)
    rules = Rules(catalog.view())
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")
    version_then = catalog.version
    catalog.apply_document(parse_catalog(later), NOW + timedelta(hours=1))
    rules.catalog = catalog.view()
    rules.change(click=click, goal="dep")  # a later postback keeps the running hold
    hold = rules.lead(lead_id).hold
    assert hold["catalog_version"] == version_then < catalog.version
    assert HoldTerms.from_event(hold).until == NOW + timedelta(days=30)
    assert hold["after_hold"] == "approve"


def test_a_hold_sent_again_keeps_the_running_hold_and_its_release_time():
    rules = rules_with(demo_with_holds("", 'hold_for = "72h"'))
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")
    first = rules.lead(lead_id).hold
    rules.change(at=NOW + timedelta(hours=70), click=click, status="hold")
    assert rules.lead(lead_id).hold == first


def test_a_changed_hold_for_applies_to_the_holds_that_start_after_it():
    catalog = catalog_of(demo_with_holds('hold_for = "30d"'))
    rules = Rules(catalog.view())
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")
    rules.change(at=NOW + timedelta(hours=1), click=click, status="pending")
    catalog.apply_document(
        parse_catalog(demo_with_holds('hold_for = "2d"\nafter_hold = "cancel"')),
        NOW + timedelta(hours=2),
    )
    rules.catalog = catalog.view()
    rules.change(at=NOW + timedelta(hours=3), click=click, status="hold")
    terms = HoldTerms.from_event(rules.lead(lead_id).hold)
    assert (terms.until, terms.after_hold, terms.catalog_version) == (
        NOW + timedelta(hours=3, days=2),
        "cancel",
        catalog.version,
    )


def test_a_release_at_the_exact_time_approves_with_a_cause():
    rules = rules_with(demo_with_holds("", 'hold_for = "72h"'))
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")
    lead = rules.lead(lead_id)
    hold = lead.hold
    until = NOW + timedelta(hours=72)
    assert release(lead, hold, until - timedelta(microseconds=1)) is Released.NOT_DUE
    assert release(lead, hold, until) is Released.RELEASED
    (event,) = rules.aggregates.save()
    assert (event.status, event.previous_status, event.status_word) == (
        "approve",
        "hold",
        HOLD_EXPIRED,
    )
    assert event.cause["rule"] == "offer-1/reg"
    assert event.cause["catalog_version"] == hold["catalog_version"]
    assert event.postback_id == release_id(lead_id, hold)
    assert lead.status is Status.APPROVE and lead.hold is None


def test_a_postback_before_the_release_ends_the_hold_and_a_later_hold_starts_a_new_one():
    rules = rules_with(demo_with_holds("", 'hold_for = "72h"'))
    click, lead_id = a_lead(rules)
    rules.change(click=click, status="hold")
    first = rules.lead(lead_id).hold
    rules.change(at=NOW + timedelta(hours=1), click=click, status="pending")
    assert rules.lead(lead_id).hold is None
    rules.change(at=NOW + timedelta(hours=2), click=click, status="hold")
    second = rules.lead(lead_id).hold
    assert release(rules.lead(lead_id), first, NOW + timedelta(days=9)) is Released.SUPERSEDED
    assert HoldTerms.from_event(second).until == NOW + timedelta(hours=74)
