"""Pricing many leads under one catalog snapshot: the same amounts as `amounts_of`, lead by lead."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.catalog_view import (
    CatalogView,
    Goal,
    Offer,
    PersonalRateVersion,
    RateVersion,
)
from domain.lead_state import LeadState, Pricing, amounts_of
from domain.money import Money
from domain.statuses import Status

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
RATE_CHANGE = T0 + timedelta(hours=1)
PERSONAL_FROM = T0 + timedelta(minutes=30)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def catalog_with_a_rate_change(version: int = 1) -> CatalogView:
    """offer-1/reg pays 10 from T0 and 12 from RATE_CHANGE (two versions at that instant);
    webmaster w-7 has a personal 11 from PERSONAL_FROM."""
    rates = (
        RateVersion(1, T0, usd("15.00"), usd("10.00")),
        RateVersion(2, RATE_CHANGE, usd("16.00"), usd("11.50")),
        RateVersion(3, RATE_CHANGE, usd("16.00"), usd("12.00")),
    )
    goal = Goal("reg", ("registration",), True, rates)
    offer = Offer("offer-1", "Card", "adv-1", "https://x.example", {"reg": goal})
    personal = {("w-7", "offer-1", "reg"): (PersonalRateVersion(1, PERSONAL_FROM, usd("11.00")),)}
    return CatalogView(version, {}, {}, {"offer-1": offer}, {}, {}, personal, ())


def lead_created(at: datetime, **fields) -> LeadState:
    base = LeadState(
        id=uuid.uuid4(), click=None, exto=None, flow=101, offer="offer-1", advertiser="adv-1",
        webmaster="w-1", goal="reg", status=Status.NEW, created_at=at, updated_at=at,
        version=1, last_postback_id=uuid.uuid4(),
    )  # fmt: skip
    return replace(base, **fields)


def moments_around(instant: datetime) -> list[datetime]:
    tick = timedelta(microseconds=1)
    return [instant - tick, instant, instant + tick]


def test_leads_created_either_side_of_a_rate_change_are_each_priced_by_the_rate_of_their_time():
    catalog = catalog_with_a_rate_change()
    pricing = Pricing(catalog)
    leads = [lead_created(at) for at in moments_around(RATE_CHANGE)]

    priced = [pricing.amounts_of(lead) for lead in leads]

    assert priced == [amounts_of(lead, catalog) for lead in leads]
    assert [a.webmaster_commission for a in priced] == [usd("10.00"), usd("12.00"), usd("12.00")]


def test_a_lead_created_before_any_rate_is_priced_by_none_as_before():
    catalog = catalog_with_a_rate_change()
    lead = lead_created(T0 - timedelta(days=1))

    assert Pricing(catalog).amounts_of(lead) == amounts_of(lead, catalog)
    assert Pricing(catalog).amounts_of(lead).rule_version == "offer-1/reg@none"


moments = st.sampled_from(
    [*moments_around(T0), *moments_around(PERSONAL_FROM), *moments_around(RATE_CHANGE)]
)
leads = st.builds(
    lead_created,
    at=moments,
    webmaster=st.sampled_from(["w-1", "w-7"]),
    offer=st.sampled_from(["offer-1", "offer-9"]),
    goal=st.sampled_from(["reg", "REGISTRATION", "dep"]),
    advertiser_payout_override=st.sampled_from([None, usd("18.00")]),
    webmaster_commission_override=st.sampled_from([None, usd("9.00")]),
)


@given(st.lists(leads, min_size=1, max_size=12))
def test_one_pricing_for_a_page_of_leads_gives_what_amounts_of_gives_for_each(page):
    catalog = catalog_with_a_rate_change()
    pricing = Pricing(catalog)

    assert [pricing.amounts_of(lead) for lead in page] == [
        amounts_of(lead, catalog) for lead in page
    ]


def test_a_new_catalog_snapshot_gets_a_new_pricing_and_the_same_snapshot_keeps_it():
    old = catalog_with_a_rate_change(version=1)
    kept = Pricing.under(old, None)

    assert Pricing.under(old, kept) is kept
    assert Pricing.under(catalog_with_a_rate_change(version=2), kept).catalog is not old


def test_the_terms_of_a_webmaster_change_at_each_goal_rate_and_personal_rate_start():
    catalog = catalog_with_a_rate_change()

    assert catalog.terms_change_at("offer-1", "reg", "w-1") == [T0, RATE_CHANGE]
    assert catalog.terms_change_at("offer-1", "reg", "w-7") == [T0, PERSONAL_FROM, RATE_CHANGE]
    assert catalog.terms_change_at("offer-1", "no-such-goal", "w-1") == []
