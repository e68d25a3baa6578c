"""What a recalculation changes: per lead and per account, the old and the new amount.

Amounts are given as their holders read them (`domain.ledger.holder_view`): a webmaster's line
going from "10.00" to "12.00" means the webmaster earns two more. The lead view's differences
name the field that changed. Everything here is JSON-ready for the `recalculations` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.ledger import Position, entries_for, holder_view
from domain.money import Money

AccountKey = tuple[str, str, str]
"""(account, bucket, currency)"""


def net_of(position: Position | None) -> dict[AccountKey, Decimal]:
    """What a position's entries add up to, per account, bucket and currency (signed)."""
    sums: dict[AccountKey, Decimal] = {}
    for entry in entries_for(position):
        key = (entry.account, entry.bucket.value, entry.amount.currency)
        sums[key] = sums.get(key, Decimal(0)) + entry.amount.amount
    return sums


def lead_lines(lead_id: UUID, old: Position | None, new: Position | None) -> list[dict[str, Any]]:
    """One line per account, bucket and currency where the lead's booked amount changes."""
    before, after = net_of(old), net_of(new)
    return [
        {"lead": str(lead_id), **_line(key, before.get(key), after.get(key))}
        for key in sorted(before.keys() | after.keys())
        if before.get(key, Decimal(0)) != after.get(key, Decimal(0))
    ]


def account_lines(
    old: Mapping[AccountKey, Decimal], new: Mapping[AccountKey, Decimal]
) -> list[dict[str, Any]]:
    """One line per account, bucket and currency whose balance differs (signed sums in)."""
    return [
        _line(key, old.get(key), new.get(key))
        for key in sorted(old.keys() | new.keys())
        if old.get(key, Decimal(0)) != new.get(key, Decimal(0))
    ]


def moved_balances(
    old: Mapping[AccountKey, Decimal],
    lead_changes: Iterable[tuple[Position | None, Position | None]],
) -> dict[AccountKey, Decimal]:
    """The balances after the leads' positions change, from the balances before."""
    new = dict(old)
    for before, after in lead_changes:
        for key, amount in net_of(before).items():
            new[key] = new.get(key, Decimal(0)) - amount
        for key, amount in net_of(after).items():
            new[key] = new.get(key, Decimal(0)) + amount
    return new


def price_line(lead_id: UUID, old: Position | None, new: Position | None) -> dict[str, Any]:
    """A lead's booked position before → after: what a dry run lists for every lead it moves."""
    return {"lead": str(lead_id), "before": _priced(old), "after": _priced(new)}


def _priced(position: Position | None) -> dict[str, str] | None:
    if position is None:
        return None
    payout, commission = position.advertiser_payout, position.webmaster_commission
    return {
        "bucket": position.bucket.value,
        "advertiser": f"{shown(payout.amount, payout.currency)} {payout.currency}",
        "webmaster": f"{shown(commission.amount, commission.currency)} {commission.currency}",
    }


def account_totals(lines: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Per account and currency, all buckets together: how much more (or less, negative) the
    holder reads after the change than before."""
    totals: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        key = (line["account"], line["currency"])
        moved = Decimal(line["new"]) - Decimal(line["old"])
        totals[key] = totals.get(key, Decimal(0)) + moved
    return [
        {"account": account, "currency": currency, "difference": shown(amount, currency)}
        for (account, currency), amount in sorted(totals.items())
    ]


def summary(differences: Mapping[str, list]) -> dict[str, int]:
    leads = {line["lead"] for name in ("leads", "lead_view") for line in differences.get(name, ())}
    repriced, relabelled = repriced_and_relabelled(differences)
    return {
        "leads_changed": len(leads),
        "leads_repriced": len(repriced),
        "leads_relabelled": len(relabelled),
        "accounts_changed": len(differences.get("accounts", ())),
    }


def repriced_and_relabelled(differences: Mapping[str, list]) -> tuple[set[str], set[str]]:
    """Leads whose money changes, and leads whose only change is their label (goal or rule
    version, same amounts). The rate-change preview counted the first, the rebuild both together
    (16 leads "would be repriced", then 52 "changed"): both now report each on its own."""
    repriced = {line["lead"] for line in differences.get("leads", ())}
    labelled = {
        line["lead"] for name in ("lead_view", "relabelled") for line in differences.get(name, ())
    }
    return repriced, labelled - repriced


def shown(amount: Decimal, currency: str) -> str:
    return Money(amount, currency).to_wire()["amount"]


def _line(key: AccountKey, old: Decimal | None, new: Decimal | None) -> dict[str, str]:
    account, bucket, currency = key
    return {
        "account": account,
        "bucket": bucket,
        "currency": currency,
        "old": shown(holder_view(account, old or Decimal(0)), currency),
        "new": shown(holder_view(account, new or Decimal(0)), currency),
    }
