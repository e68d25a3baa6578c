"""What each Lead event does to a lead, written once for the aggregate and for the read models.

A lead's state has two shapes: the `Lead` aggregate, which decides what a postback changes, and
the immutable `LeadState` that projections and audits fold from the same events. Each function
here takes one event's fields (and the lead before it, where the effect depends on it) and gives
the lead's fields that the event sets, by name. `Lead`'s event methods assign them to the
aggregate and `domain.lead_state.fold` to the next `LeadState`, so what an event means cannot
drift between the two. What the library keeps for the aggregate (id, version, created and
modified times) the fold takes from the events' metadata;
tests/domain/test_lead_state.py proves over random event sequences that the two shapes agree.

Like the event methods, these run again on every replay and must accept every old event: they
derive values and never validate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from domain.money import Money
from domain.statuses import Status

Changes = dict[str, Any]
"""A lead's fields an event sets, by attribute name."""


class Overridden(Protocol):
    """The part of a lead, in either shape, that a payout keeps when it leaves a side out."""

    advertiser_payout_override: Money | None
    webmaster_commission_override: Money | None


def created(
    postback_id: UUID,
    click: str | None,
    exto: str | None,
    flow: int,
    offer: str,
    advertiser: str,
    webmaster: str,
    goal: str,
    status: str,
) -> Changes:
    """`Lead.Created`: every field, paid at the catalog's rates until a postback sets amounts."""
    return {
        "click": click,
        "exto": exto,
        "flow": flow,
        "offer": offer,
        "advertiser": advertiser,
        "webmaster": webmaster,
        "goal": goal,
        "status": Status(status),
        "advertiser_payout_override": None,
        "webmaster_commission_override": None,
        "last_postback_id": postback_id,
    }


def status_changed(postback_id: UUID, status: str) -> Changes:
    """`Lead.StatusChanged`: the new status; the word the sender used stays in the event."""
    return {"status": Status(status), "last_postback_id": postback_id}


def goal_changed(postback_id: UUID, goal: str) -> Changes:
    """`Lead.GoalChanged`: the new goal, paid at its own rate unless the same postback sets
    amounts again (its `PayoutSet` follows this event)."""
    return {
        "goal": goal,
        "advertiser_payout_override": None,
        "webmaster_commission_override": None,
        "last_postback_id": postback_id,
    }


def payout_set(
    lead: Overridden,
    postback_id: UUID,
    advertiser_amount: Decimal | None,
    advertiser_currency: str | None,
    webmaster_amount: Decimal | None,
    webmaster_currency: str | None,
) -> Changes:
    """`Lead.PayoutSet`: the amounts sent for each side; a side sent without one keeps its own."""
    advertiser = _money(advertiser_amount, advertiser_currency)
    webmaster = _money(webmaster_amount, webmaster_currency)
    return {
        "advertiser_payout_override": lead.advertiser_payout_override
        if advertiser is None
        else advertiser,
        "webmaster_commission_override": lead.webmaster_commission_override
        if webmaster is None
        else webmaster,
        "last_postback_id": postback_id,
    }


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(amount, currency)
