"""The ledger as it stood at a moment T, recomputed from the event store.

A lead's figures at T are its events up to T, folded, and priced the way the ledger priced them
then: with the catalog in force when the ledger last priced the lead, which is its last event
before T, or a rebuild that finished before T and after that event (a rebuild reprices every
lead with the catalog of its day). A retroactive rate change therefore shows up in the as-of
answers from the moment a rebuild applied it, not from the moment it was typed in, and never
before: exactly as the ledger stood.

Balances at T replayed this way (`balances_as_of_replay`) are the sum of each lead's commission
position at T (the entries of a lead net to the entries of its last position) plus the payouts
(and invoices, payments) booked by T, which are no lead's events and never re-priced. That is
linear in the account's leads; `app.audit.as_of_snapshot` answers the same from the nearest
close and is tested against this replay.
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
from projections.commission_ledger import recalculations
from projections.eventlog.events import PositionedEvent, events_of, until
from projections.periods import as_of as as_of_reads


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
LEAD_BUCKETS = tuple(bucket.value for bucket in Bucket)


def balances_as_of_replay(
    app: LedgerApplication,
    cursor: psycopg.Cursor,
    account: str,
    lead_ids: list[UUID],
    moment: datetime,
    chunk: int = 1000,
) -> Balances:
    """The account's balance per currency and bucket at `moment`, from its leads' events: each
    lead's position then, plus the payouts (invoices, payments) booked by then. Linear in the
    account's leads; the reference `app.audit.as_of_snapshot` is checked against."""
    clock = LedgerClock.load(app, cursor)
    sums: Balances = {}
    for start in range(0, len(lead_ids), chunk):
        for events in events_of(app, cursor, lead_ids[start : start + chunk]).values():
            state = state_of(until(events, moment))
            if state is not None:
                _add_position(sums, account, state, clock.amounts(state, moment))
    for currency, buckets in as_of_reads.postings_without_lead(cursor, account, moment).items():
        for bucket, amount in buckets.items():
            mine = sums.setdefault(currency, {})
            mine[bucket] = mine.get(bucket, Decimal(0)) + amount
    return holder_balances(account, sums, as_of_reads.booked_currencies(cursor, account, moment))


def holder_balances(account: str, sums: Balances, currencies: set[str]) -> Balances:
    """Signed ledger sums as the holder reads them: every currency booked by then (zeros
    included), its lead buckets always, the others (`paid`, the network's cash paid out, and
    whatever payouts or invoices book) when not zero."""
    balances: Balances = {}
    for currency in sorted(currencies | sums.keys()):
        signed = sums.get(currency, {})
        shown = {bucket: signed.get(bucket, Decimal(0)) for bucket in LEAD_BUCKETS}
        shown |= {b: a for b, a in sorted(signed.items()) if b not in shown and a}
        balances[currency] = {
            bucket: holder_view(account, amount) for bucket, amount in shown.items()
        }
    return balances


def _add_position(sums: Balances, account: str, state: LeadState, amounts: LeadAmounts) -> None:
    position = position_of(
        state.status,
        state.advertiser,
        state.webmaster,
        amounts.advertiser_payout,
        amounts.webmaster_commission,
    )
    for entry in entries_for(position):
        if entry.account == account:
            buckets = sums.setdefault(entry.amount.currency, {})
            bucket = entry.bucket.value
            buckets[bucket] = buckets.get(bucket, Decimal(0)) + entry.amount.amount
