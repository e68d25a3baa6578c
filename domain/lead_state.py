"""A lead's state as a plain value, folded from its events: what projections store and compare.

The aggregate (`domain.lead.Lead`) decides; this immutable value is what read models keep. It is
built by the same events, through the same effect of each (`domain.lead_effects`), so "a lead's
view equals the fold of its events" can be checked.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import lead_effects
from domain.catalog_view import CatalogView, CommissionTerms
from domain.lead import Lead
from domain.money import Money
from domain.statuses import Status


@dataclass(frozen=True)
class LeadState:
    """Everything a lead's commission depends on, and where it came from."""

    id: UUID
    click: str | None
    exto: str | None
    flow: int
    offer: str
    advertiser: str
    webmaster: str
    goal: str
    status: Status
    created_at: datetime
    updated_at: datetime
    version: int
    last_postback_id: UUID
    advertiser_payout_override: Money | None = None
    webmaster_commission_override: Money | None = None


def fold(state: LeadState | None, event: object) -> LeadState:
    """The state after one more event of the lead: the event's effect (`domain.lead_effects`)
    with the event's metadata."""
    try:
        step = _STEPS[type(event)]
    except KeyError:
        raise TypeError(f"not a lead event: {type(event).__name__}") from None
    return step(state, event)


def _created(state: LeadState | None, event: Lead.Created) -> LeadState:
    changes = lead_effects.created(
        postback_id=event.postback_id,
        click=event.click,
        exto=event.exto,
        flow=event.flow,
        offer=event.offer,
        advertiser=event.advertiser,
        webmaster=event.webmaster,
        goal=event.goal,
        status=event.status,
    )
    changes["id"] = event.originator_id
    # A lead settled from a statement line happened when the line says, not when it was settled.
    changes["created_at"] = getattr(event, "occurred_at", None) or event.timestamp
    return _evolved(changes, event)


def _status_changed(state: LeadState | None, event: Lead.StatusChanged) -> LeadState:
    changes = lead_effects.status_changed(event.postback_id, event.status)
    return _evolved({**_existing(state, event).__dict__, **changes}, event)


def _goal_changed(state: LeadState | None, event: Lead.GoalChanged) -> LeadState:
    changes = lead_effects.goal_changed(event.postback_id, event.goal)
    return _evolved({**_existing(state, event).__dict__, **changes}, event)


def _payout_set(state: LeadState | None, event: Lead.PayoutSet) -> LeadState:
    before = _existing(state, event)
    changes = lead_effects.payout_set(
        before,
        event.postback_id,
        event.advertiser_amount,
        event.advertiser_currency,
        event.webmaster_amount,
        event.webmaster_currency,
    )
    return _evolved({**before.__dict__, **changes}, event)


_STEPS = {
    Lead.Created: _created,
    Lead.StatusChanged: _status_changed,
    Lead.GoalChanged: _goal_changed,
    Lead.PayoutSet: _payout_set,
}
LEAD_EVENTS = frozenset(_STEPS)  # the events `fold` takes


def _existing(state: LeadState | None, event: object) -> LeadState:
    if state is None:
        raise ValueError(f"event {type(event).__name__} of lead without a Created event")
    return state


def _evolved(fields: dict[str, Any], event: Any) -> LeadState:
    """A LeadState of these fields, as of the event: what `replace` would build, without its
    per-field `__init__` and frozen `__setattr__`, which cost more than the rest of a fold (a
    rebuild folds some 30,000 events a second). LeadState has no `__post_init__` to skip;
    tests/domain/test_lead_state.py checks the result equals the constructor's."""
    fields["updated_at"] = event.timestamp
    fields["version"] = event.originator_version
    state = object.__new__(LeadState)
    object.__setattr__(state, "__dict__", fields)
    return state


@dataclass(frozen=True)
class LeadAmounts:
    """What the advertiser pays and the webmaster earns for a lead, and by which rule."""

    advertiser_payout: Money | None
    webmaster_commission: Money | None
    rule_version: str


def amounts_of(state: LeadState, catalog: CatalogView) -> LeadAmounts:
    """Per-lead amounts win, each for its own side; otherwise the rate in force at creation."""
    terms = catalog.commission_terms(state.offer, state.goal, state.webmaster, state.created_at)
    return _amounts(state, terms)


class Pricing:
    """`amounts_of` for many leads under one catalog snapshot, each rule period looked up once.

    The terms of an (offer, goal, webmaster) change only at the `effective_from` of one of its
    goal's or personal rate versions: every lead created between two such instants is priced
    alike. A projection keeps one while its catalog snapshot stays the same object.
    """

    def __init__(self, catalog: CatalogView) -> None:
        self.catalog = catalog
        self._periods: dict[tuple[str, str, str], _Periods] = {}

    @classmethod
    def under(cls, catalog: CatalogView, kept: Pricing | None) -> Pricing:
        """`kept` if it prices by this very snapshot, else a new one: a changed catalog is a
        new snapshot object, so nothing priced by the old one is reused."""
        return kept if kept is not None and kept.catalog is catalog else cls(catalog)

    def amounts_of(self, state: LeadState) -> LeadAmounts:
        key = (state.offer, state.goal, state.webmaster)
        periods = self._periods.get(key) or self._periods.setdefault(key, self._periods_of(*key))
        period = bisect_right(periods.starts, state.created_at)
        if (
            state.advertiser_payout_override is not None
            or state.webmaster_commission_override is not None
        ):
            return _amounts(state, periods.terms[period])
        return periods.amounts[period]

    def _periods_of(self, offer: str, goal: str, webmaster: str) -> _Periods:
        starts = self.catalog.terms_change_at(offer, goal, webmaster)
        # Before the first start no rate is in force: commission_terms says None there.
        terms = [None] + [
            self.catalog.commission_terms(offer, goal, webmaster, at) for at in starts
        ]
        plain = _Plain(offer, goal)
        return _Periods(starts, terms, [_amounts(plain, t) for t in terms])


@dataclass(frozen=True)
class _Periods:
    """Where an (offer, goal, webmaster)'s terms change, and the terms before and after each."""

    starts: list[datetime]
    terms: list[CommissionTerms | None]
    amounts: list[LeadAmounts]


class _Plain:
    """The fields of a lead without overrides that `_amounts` reads."""

    __slots__ = ("offer", "goal", "advertiser_payout_override", "webmaster_commission_override")

    def __init__(self, offer: str, goal: str) -> None:
        self.offer, self.goal = offer, goal
        self.advertiser_payout_override = self.webmaster_commission_override = None


def _amounts(state: LeadState | _Plain, terms: CommissionTerms | None) -> LeadAmounts:
    advertiser = state.advertiser_payout_override or (terms.advertiser if terms else None)
    webmaster = state.webmaster_commission_override or (terms.webmaster if terms else None)
    label = terms.rule_version_label if terms else f"{state.offer}/{state.goal}@none"
    if state.advertiser_payout_override is not None:
        label += "+pay"
    if state.webmaster_commission_override is not None:
        label += "+wm"
    return LeadAmounts(advertiser, webmaster, label)
