"""A lead's state as a plain value, folded from its events: what projections store and compare.

The aggregate (`domain.lead.Lead`) decides; this immutable value is what read models keep. It is
built by the same events, so "a lead's view equals the fold of its events" can be checked.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

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
    """The state after one more event of the lead."""
    if isinstance(event, Lead.Created):
        return LeadState(
            id=event.originator_id,
            click=event.click,
            exto=event.exto,
            flow=event.flow,
            offer=event.offer,
            advertiser=event.advertiser,
            webmaster=event.webmaster,
            goal=event.goal,
            status=Status(event.status),
            created_at=event.timestamp,
            updated_at=event.timestamp,
            version=event.originator_version,
            last_postback_id=event.postback_id,
        )
    if state is None:
        raise ValueError(f"event {type(event).__name__} of lead without a Created event")
    common = {
        "updated_at": event.timestamp,
        "version": event.originator_version,
        "last_postback_id": event.postback_id,
    }
    if isinstance(event, Lead.StatusChanged):
        return replace(state, status=Status(event.status), **common)
    if isinstance(event, Lead.GoalChanged):
        return replace(
            state,
            goal=event.goal,
            advertiser_payout_override=None,
            webmaster_commission_override=None,
            **common,
        )
    if isinstance(event, Lead.PayoutSet):
        return replace(
            state,
            advertiser_payout_override=_money(event.advertiser_amount, event.advertiser_currency)
            or state.advertiser_payout_override,
            webmaster_commission_override=_money(event.webmaster_amount, event.webmaster_currency)
            or state.webmaster_commission_override,
            **common,
        )
    raise TypeError(f"not a lead event: {type(event).__name__}")


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


def _money(amount, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(amount, currency)
