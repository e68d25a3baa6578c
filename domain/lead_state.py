"""A lead's state as a plain value, folded from its events: what projections store and compare.

The aggregate (`domain.lead.Lead`) decides; this immutable value is what read models keep. It is
built by the same events, so "a lead's view equals the fold of its events" can be checked.
"""

from __future__ import annotations

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
    terms: CommissionTerms | None = catalog.commission_terms(
        state.offer, state.goal, state.webmaster, state.created_at
    )
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
