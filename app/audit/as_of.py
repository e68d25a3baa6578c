"""The ledger as it stood at a moment T, recomputed from the event store.

A lead's figures at T are its events up to T, folded, and priced the way the ledger priced them
then: with the catalog in force when the ledger last priced the lead, which is its last event
before T, or a rebuild that finished before T and after that event (a rebuild reprices every
lead with the catalog of its day). A retroactive rate change therefore shows up in the as-of
answers from the moment a rebuild applied it, not from the moment it was typed in, and never
before: exactly as the ledger stood.

Balances at T are the sum of each lead's commission position at T (the entries of a lead net to
the entries of its last position), so they need no ledger table and agree with the entries a
rebuild leaves behind.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import psycopg

from app.audit.catalog_history import CatalogHistory
from app.eventstore.application import LedgerApplication
from domain.catalog_view import CatalogView
from domain.lead import Lead
from domain.lead_state import LeadAmounts, LeadState, amounts_of, fold
from domain.ledger import Bucket, entries_for, holder_view, position_of
from domain.money import Money
from projections.commission_ledger import recalculations
from projections.eventlog.events import PositionedEvent, events_of, until


@dataclass(frozen=True)
class Repricing:
    """A rebuild that switched the read models: from `finished_at` they follow its catalog."""

    id: UUID
    started_at: datetime
    finished_at: datetime


def repricings(cursor: psycopg.Cursor) -> list[Repricing]:
    rows = recalculations.switched(cursor)
    return [Repricing(row["id"], row["started_at"], row["finished_at"]) for row in rows]


class LedgerClock:
    """Which catalog the ledger priced a lead with, as it stood at a given moment."""

    def __init__(self, catalogs: CatalogHistory, rebuilds: list[Repricing]) -> None:
        self.catalogs = catalogs
        self.rebuilds = rebuilds
        self._finished = [rebuild.finished_at for rebuild in rebuilds]

    @classmethod
    def load(cls, app: LedgerApplication, cursor: psycopg.Cursor) -> LedgerClock:
        return cls(CatalogHistory(app), repricings(cursor))

    def last_rebuild(self, moment: datetime) -> Repricing | None:
        index = bisect.bisect_right(self._finished, moment)
        return self.rebuilds[index - 1] if index else None

    def catalog_for(self, state: LeadState, moment: datetime) -> CatalogView:
        rebuild = self.last_rebuild(moment)
        if rebuild is not None and rebuild.finished_at >= state.updated_at:
            return self.catalogs.at(rebuild.started_at)
        return self.catalogs.at(state.updated_at)

    def amounts(self, state: LeadState, moment: datetime) -> LeadAmounts:
        return amounts_of(state, self.catalog_for(state, moment))


def state_of(events: list[PositionedEvent]) -> LeadState | None:
    state = None
    for item in events:
        if isinstance(item.event, Lead.Event):
            state = fold(state, item.event)
    return state


@dataclass(frozen=True)
class LeadAsOf:
    """A lead at a moment: its folded state, its amounts as priced then, its last position."""

    state: LeadState
    amounts: LeadAmounts
    position: int


def lead_as_of(
    app: LedgerApplication, cursor: psycopg.Cursor, lead_id: UUID, moment: datetime
) -> LeadAsOf | None:
    """None when the lead did not exist yet at `moment` (or never)."""
    events = until(events_of(app, cursor, [lead_id])[lead_id], moment)
    state = state_of(events)
    if state is None:
        return None
    clock = LedgerClock.load(app, cursor)
    return LeadAsOf(state, clock.amounts(state, moment), events[-1].position)


Balances = dict[str, dict[str, Decimal]]  # currency -> bucket -> holder's amount


def balances_as_of(
    app: LedgerApplication,
    cursor: psycopg.Cursor,
    account: str,
    lead_ids: list[UUID],
    moment: datetime,
    chunk: int = 1000,
) -> Balances:
    """The account's balance per currency and bucket at `moment`, from its leads' events."""
    clock = LedgerClock.load(app, cursor)
    sums: Balances = {}
    for start in range(0, len(lead_ids), chunk):
        for events in events_of(app, cursor, lead_ids[start : start + chunk]).values():
            state = state_of(until(events, moment))
            if state is not None:
                _add_position(sums, account, state, clock.amounts(state, moment))
    return {
        currency: {bucket: holder_view(account, amount) for bucket, amount in buckets.items()}
        for currency, buckets in sums.items()
    }


def _add_position(sums: Balances, account: str, state: LeadState, amounts: LeadAmounts) -> None:
    for money in _sides_of(account, amounts):  # a currency once booked shows, even at zero
        sums.setdefault(money.currency, {bucket.value: Decimal(0) for bucket in Bucket})
    position = position_of(
        state.status,
        state.advertiser,
        state.webmaster,
        amounts.advertiser_payout,
        amounts.webmaster_commission,
    )
    for entry in entries_for(position):
        if entry.account == account:
            buckets = sums.setdefault(entry.amount.currency, {b.value: Decimal(0) for b in Bucket})
            buckets[entry.bucket.value] += entry.amount.amount


def _sides_of(account: str, amounts: LeadAmounts) -> list[Money]:
    payout, commission = amounts.advertiser_payout, amounts.webmaster_commission
    if account.startswith("advertiser:"):
        sides = [payout]
    elif account.startswith("webmaster:"):
        sides = [commission]
    else:
        sides = [payout, commission]
    return [money for money in sides if money is not None]
