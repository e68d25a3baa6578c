"""The read models' fold of a lead's events agrees with the Lead aggregate, event after event.

Both apply the same effects (`domain.lead_effects`); they still differ in where the id, version
and times come from (the library keeps them for the aggregate, the fold reads the events'
metadata) and in how a state is built (the fold skips `LeadState.__init__` for speed). These
tests prove, over random event sequences, that neither difference shows.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.lead import Lead
from domain.lead_state import LeadState, fold
from domain.money import Money
from domain.statuses import Status

FIELDS = [f.name for f in fields(LeadState)]
KEPT_BY_THE_LIBRARY = {"id", "created_at", "updated_at", "version"}

goals = st.sampled_from(["reg", "dep", "ftd"])
statuses = st.sampled_from(list(Status))
amounts = st.decimals(min_value=0, max_value=10_000, places=2)
money = st.none() | st.builds(Money, amounts, st.sampled_from(["USD", "EUR", "RUB"]))

change_status = st.tuples(st.just("change_status"), statuses, st.text(max_size=8))
change_goal = st.tuples(st.just("change_goal"), goals)
set_payout = st.tuples(st.just("set_payout"), money, money)
commands = st.lists(st.one_of(change_status, change_goal, set_payout), max_size=12)


def new_lead(status: Status, goal: str, exto: str | None) -> Lead:
    return Lead(
        id=uuid4(),
        postback_id=uuid4(),
        click="c-1",
        exto=exto,
        flow=101,
        offer="offer-1",
        advertiser="adv-1",
        webmaster="wm-1",
        goal=goal,
        status=status.value,
    )


def run(lead: Lead, command: tuple) -> None:
    name, *args = command
    getattr(lead, name)(uuid4(), *args)


def aggregate_state(lead: Lead) -> dict:
    kept = {
        "id": lead.id,
        "created_at": lead.created_at,
        "updated_at": lead.modified_on,
        "version": lead.version,
    }
    return kept | {name: getattr(lead, name) for name in FIELDS if name not in KEPT_BY_THE_LIBRARY}


def fold_state(state: LeadState) -> dict:
    return {name: getattr(state, name) for name in FIELDS}


@given(statuses, goals, st.none() | st.text(max_size=8), commands)
def test_folding_a_leads_events_gives_the_aggregates_state_after_every_event(
    status, goal, exto, steps
):
    lead = new_lead(status, goal, exto)
    state = None
    for command in [None, *steps]:
        if command is not None:
            run(lead, command)
        for event in lead.collect_events():
            state = fold(state, event)
        assert fold_state(state) == aggregate_state(lead)


@given(statuses, goals, commands)
def test_a_lead_replayed_from_its_events_equals_their_fold(status, goal, steps):
    lead = new_lead(status, goal, None)
    for command in steps:
        run(lead, command)
    replayed = state = None
    for event in lead.collect_events():
        replayed, state = event.mutate(replayed), fold(state, event)

    assert fold_state(state) == aggregate_state(replayed)


@given(statuses, goals, commands)
def test_a_folded_state_is_the_value_its_constructor_builds(status, goal, steps):
    lead = new_lead(status, goal, "x-1")
    for command in steps:
        run(lead, command)
    state = None
    for event in lead.collect_events():
        state = fold(state, event)

    assert vars(state).keys() == set(FIELDS)
    rebuilt = LeadState(**fold_state(state))
    assert state == rebuilt and hash(state) == hash(rebuilt)


def test_a_payout_for_one_side_keeps_the_other_sides_amount():
    lead = new_lead(Status.NEW, "reg", None)
    lead.set_payout(uuid4(), Money(Decimal("50.00"), "USD"), Money(Decimal("30.00"), "USD"))
    lead.set_payout(uuid4(), None, Money(Decimal("35.00"), "USD"))
    state = None
    for event in lead.collect_events():
        state = fold(state, event)

    assert state.advertiser_payout_override == Money(Decimal("50.00"), "USD")
    assert state.webmaster_commission_override == Money(Decimal("35.00"), "USD")


def test_a_new_goal_drops_the_amounts_the_old_one_was_sent_with():
    lead = new_lead(Status.NEW, "reg", None)
    lead.set_payout(uuid4(), Money(Decimal("50.00"), "USD"), Money(Decimal("30.00"), "USD"))
    lead.change_goal(uuid4(), "dep")
    state = None
    for event in lead.collect_events():
        state = fold(state, event)

    assert (state.goal, state.advertiser_payout_override) == ("dep", None)
    assert state.webmaster_commission_override is None


def test_an_event_before_the_leads_creation_cannot_be_folded():
    lead = new_lead(Status.NEW, "reg", None)
    lead.change_status(uuid4(), Status.HOLD, "hold")
    created, changed = lead.collect_events()

    with pytest.raises(ValueError, match="without a Created event"):
        fold(None, changed)


def test_an_event_of_another_aggregate_is_not_a_lead_event():
    with pytest.raises(TypeError, match="not a lead event"):
        fold(None, object())
