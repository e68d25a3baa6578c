"""An account's balances at a moment T from the nearest closing snapshot: fast at any size.

The latest period closed with `until <= T` sealed the account's closing balance per currency and
bucket; the balances at T are those plus the account's entries booked after that close up to T
(`projections.periods.as_of`). The cost is one period's entries of one account, whatever the
account's history, instead of replaying every lead's events (`app.audit.as_of`).

It answers what the replay answers, figure for figure, as long as the ledger's entries booked by
T are still those that stood at T. A rebuild that finished after T re-priced the open entries
(and carried differences of closed ones forward), so for such moments the replay is the answer:
`balances_as_of` falls back to it. Sealed entries never change, payouts are never re-priced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import psycopg

from app.audit.as_of import Balances, balances_as_of_replay, holder_balances, repricings
from app.eventstore.application import LedgerApplication
from domain.ledger import holder_view
from projections.periods import as_of as as_of_reads


def balances_as_of(
    app: LedgerApplication,
    cursor: psycopg.Cursor,
    account: str,
    lead_ids_of: Callable[[], list[UUID]],
    moment: datetime,
) -> Balances:
    """From the nearest close when the entries still stand as they did at `moment`, else by
    replay. `lead_ids_of()` names the account's leads, asked only when replaying."""
    if rebuilt_after(cursor, moment):
        return balances_as_of_replay(app, cursor, account, lead_ids_of(), moment)
    return balances_as_of_snapshot(cursor, account, moment)


def rebuilt_after(cursor: psycopg.Cursor, moment: datetime) -> bool:
    """Whether a rebuild switched the ledger after `moment` (re-pricing entries booked by then)."""
    return any(rebuild.finished_at > moment for rebuild in repricings(cursor))


def balances_as_of_snapshot(cursor: psycopg.Cursor, account: str, moment: datetime) -> Balances:
    """The latest close's closing balances at or before `moment` plus the entries after it."""
    close = as_of_reads.latest_close(cursor, moment)
    sums: dict[str, dict[str, Decimal]] = {}
    currencies: set[str] = set()
    if close is not None:
        for document in as_of_reads.closing_documents(cursor, close["number"], account):
            statement = json.loads(document)
            sums[statement["currency"]] = {
                bucket: _signed(account, Decimal(amount))
                for bucket, amount in statement["closing"].items()
            }
        currencies = as_of_reads.currencies_closed(cursor, close["number"], account)
    for currency, buckets in as_of_reads.entries_after_close(
        cursor, account, close, moment
    ).items():
        mine = sums.setdefault(currency, {})
        for bucket, amount in buckets.items():
            mine[bucket] = mine.get(bucket, Decimal(0)) + amount
    return holder_balances(account, sums, currencies)


def _signed(account: str, holders_amount: Decimal) -> Decimal:
    """A statement's figure (holder's view) back to the ledger's signed sum: the view only
    flips the sign, so applying it twice is the identity."""
    return holder_view(account, holders_amount)
