"""`lock_for` and `min_payout` in the catalog: refused at their path, kept as versioned events
(issue 22)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.catalog import Catalog
from domain.catalog_document import CatalogError, parse_catalog
from domain.payable_rules import BadPayableRule, parse_lock
from tests.domain.rule_controls import CATALOG_APPLIED, DEMO_CATALOG

DEMO = DEMO_CATALOG.read_text()
OFFER_1 = 'id = "offer-1"\n'
WM_1 = 'id = "wm-1"\n'


def demo_with(offer: str = "", webmaster: str = "") -> str:
    """The demo file with extra lines in offer-1's table and in webmaster wm-1's."""
    text = DEMO.replace(OFFER_1, OFFER_1 + offer + "\n", 1)
    return text.replace(WM_1, WM_1 + webmaster + "\n", 1)


def catalog_of(*texts: str) -> Catalog:
    catalog = Catalog()
    for n, text in enumerate(texts):
        catalog.apply_document(parse_catalog(text), CATALOG_APPLIED + timedelta(minutes=n))
    return catalog


@pytest.mark.parametrize(
    ("text", "lock"),
    [("30d", timedelta(days=30)), ("72h", timedelta(hours=72)), ("0", timedelta(0))],
)
def test_a_lock_reads_as_a_duration(text, lock):
    assert parse_lock(text) == lock


@pytest.mark.parametrize(
    ("offer", "webmaster", "path"),
    [
        ('lock_for = "-1d"', "", "$.offers[0].lock_for"),
        ('lock_for = "soon"', "", "$.offers[0].lock_for"),
        ('lock_for = "30"', "", "$.offers[0].lock_for"),
        ('lock_for = "3651d"', "", "$.offers[0].lock_for"),
        ("", 'min_payout = "50 dollars"', "$.webmasters[0].min_payout"),
        ("", 'min_payout = "50.001 USD"', "$.webmasters[0].min_payout"),
        ("", 'min_payout = ["50.00 USD", "60.00 USD"]', "$.webmasters[0].min_payout"),
        ("", 'min_payout = "fifty USD"', "$.webmasters[0].min_payout"),
    ],
)
def test_a_bad_payable_rule_is_refused_at_apply_with_the_fields_path(offer, webmaster, path):
    catalog = catalog_of(DEMO)
    catalog.collect_events()
    with pytest.raises(CatalogError) as refused:
        catalog.apply_document(parse_catalog(demo_with(offer, webmaster)), CATALOG_APPLIED)
    assert path in str(refused.value)
    assert catalog.collect_events() == []


def test_the_rules_are_kept_as_catalog_events_and_applying_them_again_changes_nothing():
    text = demo_with('lock_for = "30d"', 'min_payout = ["50.00 USD", "40 EUR"]')
    catalog = catalog_of(DEMO)
    version = catalog.version
    changes = catalog.apply_document(parse_catalog(text), CATALOG_APPLIED + timedelta(hours=1))
    assert catalog.version > version and not changes.is_empty
    rules = catalog.view().payable_rules
    assert rules.lock_of("offer-1") == timedelta(days=30)
    assert rules.lock_of("offer-2") == timedelta(0)
    assert rules.minimum("wm-1", "EUR") == Decimal("40.00")
    assert rules.minimum("wm-1", "GBP") is None and rules.minimum("wm-2", "USD") is None
    assert catalog.apply_document(
        parse_catalog(text), CATALOG_APPLIED + timedelta(hours=2)
    ).is_empty
    catalog.apply_document(parse_catalog(DEMO), CATALOG_APPLIED + timedelta(hours=3))
    assert catalog.view().payable_rules.lock_for == {}
    assert catalog.view().payable_rules.min_payout == {}


def test_a_negative_lock_is_refused():
    with pytest.raises(BadPayableRule):
        parse_lock("-5d")
