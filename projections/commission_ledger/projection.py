"""The commission ledger: double-entry postings for every change of a lead, and its balances.

For each lead event the projection folds the lead (`domain.lead_state.fold`), prices it with the
current catalog (`amounts_of`), and posts what `domain.ledger.posting_between` says moves the
lead from the position booked before to the new one. Three tables, written in the runner's
transaction together with the tracking position, so they always agree with each other:

- `ledger_entries`: the entries, append-only (see the shared contract in the README);
- `ledger_leads`: each lead as the ledger last priced it (a lead_view-shaped table), whose
  amounts are the position its entries book now;
- `ledger_balances`: the running sum of the entries per account, bucket and currency.

A posting's id is derived from the event's position, so a replay (a rebuild) names the same
postings the same way and two ledgers can be compared posting by posting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from psycopg import sql

from domain.catalog_view import CatalogView
from domain.lead import Lead
from domain.lead_state import LeadAmounts, LeadState, Pricing, fold
from domain.ledger import Entry, Position, position_of, posting_between
from domain.money import Money
from projections.bulk_copy import copy_rows
from projections.commission_ledger import recalculations
from projections.commission_ledger.account_postings import account_rows
from projections.commission_ledger.booked_leads import Booked, BookedMemory
from projections.commission_ledger.schema import (
    BALANCES_TABLE,
    ENTRIES_TABLE,
    ENTRY_COLUMNS,
    ENTRY_TYPES,
    LEADS_TABLE,
    create_ledger_tables,
)
from projections.lead_view.projection import (
    LeadViewProjection,
    created_here,
    seen_before,
    select_by_ids,
    state_from_row,
    upsert_rows,
    view_row,
)
from projections.unnest_upsert import UnnestUpsert

PROJECTION_NAME = "commission_ledger"
_POSTING_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger/posting")
_POSTING_NAMESPACE_BYTES = _POSTING_NAMESPACE.bytes


def posting_id_for(position: int) -> UUID:
    """The posting of the event at this position: one event changes one lead.

    `uuid5(_POSTING_NAMESPACE, str(position))`, spelt out: three times faster, once per event.
    """
    digest = hashlib.sha1(_POSTING_NAMESPACE_BYTES + str(position).encode()).digest()
    return UUID(bytes=digest[:16], version=5)


def booked_position(row: dict) -> Position | None:
    """The position a `ledger_leads` row books: its status's bucket and its priced amounts."""
    state = state_from_row(row)
    return position_of(
        state.status,
        state.advertiser,
        state.webmaster,
        _money(row["advertiser_amount"], row["advertiser_currency"]),
        _money(row["webmaster_amount"], row["webmaster_currency"]),
    )


def position_for(state: LeadState, amounts: LeadAmounts) -> Position | None:
    return position_of(
        state.status,
        state.advertiser,
        state.webmaster,
        amounts.advertiser_payout,
        amounts.webmaster_commission,
    )


class CommissionLedgerProjection:
    """Posts the ledger entries of lead events; `recalculation_id` marks a rebuild's entries."""

    name = PROJECTION_NAME

    def __init__(
        self,
        catalog: Callable[[], CatalogView],
        recalculation_id: UUID | None = None,
        remember: int = 0,
    ) -> None:
        """`remember`: leads kept in memory between pages, for a sole writer of the tables."""
        self._catalog = catalog
        self._recalculation_id = recalculation_id
        self._memory = BookedMemory(remember)
        self._pricing: Pricing | None = None

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        LeadViewProjection(self._catalog, table=LEADS_TABLE).create_tables(cursor)
        create_ledger_tables(cursor)
        recalculations.create_table(cursor)

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        lead_events = [(i, e) for i, e in events if isinstance(e, Lead.Event)]
        paid = account_rows(cursor, events, posting_id_for, self._recalculation_id)
        if not lead_events:
            _append(cursor, paid)
            _add_to_balances(cursor, paid)
            return
        created = created_here(lead_events)
        leads = self._booked(cursor, seen_before(lead_events, created))
        self._pricing = pricing = Pricing.under(self._catalog(), self._pricing)
        entries: list[tuple] = []
        for at, event in lead_events:
            lead = leads.get(event.originator_id)
            if lead is None:
                lead = leads[event.originator_id] = Booked(None, None)
            lead.state = fold(lead.state, event)
            lead.amounts = pricing.amounts_of(lead.state)
            new = position_for(lead.state, lead.amounts)
            posted = posting_between(lead.position, new)
            if posted:
                rules = (lead.rule, lead.amounts.rule_version)
                entries.extend(self._rows(at, event, rules, posted))
            lead.position, lead.at, lead.rule = new, at, lead.amounts.rule_version
        # Every lead loaded has an event in this page, so each one is priced by now.
        rows = [view_row(b.state, b.amounts, b.at) for b in leads.values()]
        upsert_rows(cursor, LEADS_TABLE, rows, created)
        if paid:  # in position order, each posting's entries kept together
            entries = sorted([*entries, *paid], key=lambda row: row[2])
        _append(cursor, entries)
        _add_to_balances(cursor, entries)
        self._memory.keep(leads)

    def _booked(self, cursor: psycopg.Cursor, ids: set[UUID]) -> dict[UUID, Booked]:
        """The leads as booked before this page: remembered ones, the others from the table."""
        leads = self._memory.take(ids)
        leads.update(_load(cursor, ids - leads.keys()))
        return leads

    def _rows(
        self, at: int, event: Any, rules: tuple[str, str], posted: list[Entry]
    ) -> Iterator[tuple]:
        """Entry rows for COPY; `at` is the event's position in the store. A reversal carries
        the rule of the entries it reverses (`rules[0]`), a new entry the rule now (`rules[1]`).

        `recorded_at` (the booking time) is the event's; `effective_at` is when the fact
        happened: a statement line's time for a lead it created, else the event's time too.
        `statement_line` names the line that settled the change (its id is the postback id)."""
        posting = posting_id_for(at)
        event_type = type(event).__qualname__
        lead, postback, recorded_at = event.originator_id, event.postback_id, event.timestamp
        effective_at = getattr(event, "occurred_at", None) or recorded_at
        settled_by = postback if getattr(event, "statement_line", None) else None
        for entry in posted:
            rule = rules[0] if entry.reverses else rules[1]
            yield (
                posting, lead, at, event_type, postback, rule, entry.account, entry.bucket.value,
                entry.amount.amount, entry.amount.currency, entry.reverses, recorded_at,
                self._recalculation_id, effective_at, settled_by,
            )  # fmt: skip


_LOAD = select_by_ids(LEADS_TABLE)


def _load(cursor: psycopg.Cursor, ids: set[UUID]) -> dict[UUID, Booked]:
    if not ids:
        return {}
    rows = cursor.execute(_LOAD, (list(ids),)).fetchall()
    return {
        row["id"]: Booked(state_from_row(row), booked_position(row), rule=row["rule_version"])
        for row in rows
    }


def _append(cursor: psycopg.Cursor, rows: list[tuple]) -> None:
    """COPY: a replay appends millions of entries, several times faster than INSERTs."""
    if rows:
        copy_rows(cursor, ENTRIES_TABLE, ENTRY_COLUMNS, ENTRY_TYPES, rows)


_BALANCES = UnnestUpsert(
    BALANCES_TABLE,
    ("account", "bucket", "currency", "amount"),
    ("text", "text", "text", "numeric"),
    conflict=("account", "bucket", "currency"),
    update=sql.SQL("amount = {}.amount + EXCLUDED.amount").format(sql.Identifier(BALANCES_TABLE)),
)


def _add_to_balances(cursor: psycopg.Cursor, rows: list[tuple]) -> None:
    sums: dict[tuple[str, str, str], Decimal] = {}
    for row in rows:
        key = (row[6], row[7], row[9])  # account, bucket, currency
        sums[key] = sums.get(key, Decimal(0)) + row[8]
    _BALANCES.run(cursor, [(*key, amount) for key, amount in sorted(sums.items())])


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return Money(amount, currency) if amount is not None and currency is not None else None
