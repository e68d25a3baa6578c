"""Ending a hold by its rule: the decision, made against the lead as it is now.

A lead entering `hold` gets its terms from the catalog in force then (`hold_terms`). When they
run out, `release` changes the lead to `after_hold` by an ordinary `Lead.StatusChanged`, so the
ledger books it and the webmaster hears of it like any status change; its `cause` says why
(`hold_expired`, the rule, the catalog version that set it) and its `postback_id` is derived
from the lead and the hold (`release_id`), the same for every process that decides it.

The decision is checked against the lead's newest events: a status postback that came first
ended the hold (or started a new one), and the release is then `superseded`, recording nothing.
Whoever saves second, a release or a postback, collides on the lead's version in the store and
is decided again against the new state: one outcome, never two.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.catalog_view import CatalogView
from domain.hold_rules import HoldTerms, terms_for
from domain.lead import Lead
from domain.statuses import Status

HOLD_EXPIRED = "hold_expired"
_RELEASE_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger:hold-release")


class Released(enum.StrEnum):
    """What deciding one due hold did."""

    RELEASED = "released"  # the lead changed to after_hold
    SUPERSEDED = "superseded"  # a postback ended this hold first: nothing recorded
    NOT_DUE = "not_due"  # the hold runs later than now


def hold_terms(
    catalog: CatalogView, offer: str, goal: str, status: Status, now: datetime
) -> dict[str, Any] | None:
    """The terms to store with a change to `status` at `now`: only `hold` under a rule has any."""
    if status is not Status.HOLD or not catalog.hold_rules:
        return None
    terms = terms_for(catalog.hold_rules, offer, goal, catalog.version, now)
    return None if terms is None else terms.to_event()


def release_id(lead: UUID, hold: dict[str, Any]) -> UUID:
    """The release's stand-in for a postback id: one per lead and hold."""
    return uuid5(_RELEASE_NAMESPACE, f"{lead}:{hold['started_at']}:{hold['until']}")


def release(lead: Lead, hold: dict[str, Any], now: datetime) -> Released:
    """Change the lead to the hold's `after_hold` if this hold is still running and due."""
    if lead.status is not Status.HOLD or getattr(lead, "hold", None) != hold:
        return Released.SUPERSEDED
    terms = HoldTerms.from_event(hold)
    if terms.until > now:
        return Released.NOT_DUE
    lead.change_status(
        release_id(lead.id, hold),
        Status(terms.after_hold),
        HOLD_EXPIRED,
        cause={
            "kind": HOLD_EXPIRED,
            "rule": terms.rule,
            "catalog_version": terms.catalog_version,
            "hold_for": terms.hold_for,
            "hold_until": hold["until"],
        },
    )
    return Released.RELEASED


_DONE = {"approve": "approved", "cancel": "cancelled"}


def hold_words(data: Mapping[str, Any]) -> str | None:
    """What a lead event's data says of holds, for the lead's history and the support page:
    "on hold until 2027-01-05 (offer-1/reg: 30 days, then approve)" for an event that started
    a hold under a rule, "approved by the hold rule offer-1/reg (catalog v12)" for a release;
    None for any other event (and every event stored before holds had rules)."""
    cause = data.get("cause")
    if cause and cause.get("kind") == HOLD_EXPIRED:
        done = _DONE.get(str(data.get("status")), str(data.get("status")))
        return f"{done} by the hold rule {cause['rule']} (catalog v{cause['catalog_version']})"
    hold = data.get("hold")
    return HoldTerms.from_event(hold).on_hold_words() if hold else None
