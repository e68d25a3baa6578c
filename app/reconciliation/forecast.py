"""What settling lines does to the balances, worked out before anything is saved.

Each changed lead is folded from its stored events (before) and then from its new, unsaved
events too (after); both are priced with the current catalog and the posting between the two
positions is what the commission ledger will post (`domain.ledger.posting_between`, the same
rule the projection applies). Summed per account, bucket and currency onto the balances the
ledger holds now, that is the "before → after" of a dry run and of a settlement.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from app.eventstore.application import LedgerApplication
from domain.catalog_view import CatalogView
from domain.lead import Lead
from domain.lead_state import LeadState, amounts_of, fold
from domain.ledger import Position, holder_view, position_of, posting_between
from domain.money import Money
from projections.commission_ledger.reads import balances_of
from projections.eventlog.events import events_of, table_exists

Key = tuple[str, str, str]  # account, bucket, currency


class Forecast:
    """Sums the postings that settled leads will cause, per account, bucket and currency."""

    def __init__(self, catalog: CatalogView) -> None:
        self._catalog = catalog
        self._moved: dict[Key, Decimal] = defaultdict(Decimal)

    def deltas(self, app: LedgerApplication, cursor, leads: list[Lead]) -> dict[Key, Decimal]:
        stored = events_of(app, cursor, [lead.id for lead in leads]) if leads else {}
        moved: dict[Key, Decimal] = defaultdict(Decimal)
        for lead in leads:
            before = None
            for item in stored[lead.id]:
                before = fold(before, item.event)
            after = before
            for event in lead.pending_events:
                after = fold(after, event)
            for entry in posting_between(self._position(before), self._position(after)):
                moved[(entry.account, entry.bucket.value, entry.amount.currency)] += (
                    entry.amount.amount
                )
        return moved

    def add(self, moved: dict[Key, Decimal]) -> None:
        for key, amount in moved.items():
            self._moved[key] += amount

    def _position(self, state: LeadState | None) -> Position | None:
        if state is None:
            return None
        amounts = amounts_of(state, self._catalog)
        return position_of(
            state.status, state.advertiser, state.webmaster,
            amounts.advertiser_payout, amounts.webmaster_commission,
        )  # fmt: skip

    def balances(self, cursor) -> list[dict]:
        """Each balance that moves, as its holder reads it, before and after."""
        ledger = table_exists(cursor, "ledger_balances")
        now = {account: balances_of(cursor, account) if ledger else {}
               for account in {key[0] for key in self._moved}}  # fmt: skip
        rows = []
        for (account, bucket, currency), moved in sorted(self._moved.items()):
            if moved.is_zero():
                continue
            before = now[account].get(currency, {}).get(bucket, Decimal(0))
            after = before + holder_view(account, moved)
            shown = {"before": _shown(before, currency), "after": _shown(after, currency)}
            rows.append({"account": account, "bucket": bucket, "currency": currency, **shown})
        return rows


def _shown(amount: Decimal, currency: str) -> str:
    return Money(amount, currency).to_wire()["amount"]
