"""Turning ledger rows into the wire shapes of `app.ledger.wire`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from app.ledger.wire import (
    BalancesOut,
    BucketAmounts,
    CommissionOut,
    CommissionReport,
    EntryOut,
    ReportRow,
)
from app.wire import MoneyOut
from domain.ledger import NETWORK, bucket_for, holder_view
from domain.money import Money
from domain.statuses import Status
from projections.commission_ledger.reads import BUCKETS, Balances
from projections.periods.reads import EntryPeriods

# The holder whose view a report's sums of each side are shown in.
_SIDES = {
    "advertiser": ("advertiser_payout", "advertiser:"),
    "webmaster": ("webmaster_commission", "webmaster:"),
    NETWORK: ("network_margin", NETWORK),
}


def amount_text(amount: Decimal, currency: str) -> str:
    return Money(amount, currency).to_wire()["amount"]


def money_out(amount: Decimal | None, currency: str | None) -> MoneyOut | None:
    if amount is None or currency is None:
        return None
    return MoneyOut(amount=amount_text(amount, currency), currency=currency)


def entry_out(row: dict, periods: EntryPeriods) -> EntryOut:
    settled_by = row.get("statement_line")
    return EntryOut(
        id=row["id"],
        posting_id=str(row["posting_id"]),
        lead_id=str(row["lead_id"]),
        position=row["position"],
        event_type=row["event_type"],
        postback_id=str(row["postback_id"]) if row["postback_id"] else None,
        rule_version=row["rule_version"],
        account=row["account"],
        bucket=row["bucket"],
        amount=amount_text(row["amount"], row["currency"]),
        currency=row["currency"],
        reverses=row["reverses"],
        recorded_at=row["recorded_at"],
        recalculation_id=str(row["recalculation_id"]) if row["recalculation_id"] else None,
        **periods.keys_of(row),
        statement_line=str(settled_by) if settled_by else None,
    )


def commission_out(lead: dict, entries: Iterable[dict], periods: EntryPeriods) -> CommissionOut:
    bucket = bucket_for(Status(lead["status"]))
    return CommissionOut(
        lead_id=str(lead["id"]),
        status=lead["status"],
        bucket=bucket.value if bucket else None,
        offer=lead["offer"],
        goal=lead["goal"],
        advertiser=lead["advertiser"],
        webmaster=lead["webmaster"],
        advertiser_payout=money_out(lead["advertiser_amount"], lead["advertiser_currency"]),
        webmaster_commission=money_out(lead["webmaster_amount"], lead["webmaster_currency"]),
        rule_version=lead["rule_version"],
        position=lead["position"],
        entries=[entry_out(row, periods) for row in entries],
    )


def balances_out(account: str, balances: Balances) -> BalancesOut:
    return BalancesOut(account, _texts(balances))


def report_out(
    group_by: str,
    start: datetime | None,
    end: datetime | None,
    counts: Sequence[dict],
    sums: Sequence[dict],
) -> CommissionReport:
    leads: dict[str, dict[str, int]] = {}
    for count in counts:
        leads.setdefault(count["grp"], {})[count["status"]] = count["leads"]
    money: dict[tuple[str, str], Balances] = {}  # (group, side's field) -> balances
    for line in sums:
        field, holder = _SIDES[line["side"]]
        per_currency = money.setdefault((line["grp"], field), {})
        buckets = per_currency.setdefault(line["currency"], dict.fromkeys(BUCKETS, Decimal(0)))
        buckets[line["bucket"]] = holder_view(holder, line["amount"])
    groups = sorted(leads.keys() | {group for group, _ in money})
    rows = [
        ReportRow(
            group,
            leads.get(group, {}),
            *(_texts(money.get((group, field), {})) for field, _ in _SIDES.values()),
        )
        for group in groups
    ]
    return CommissionReport(group_by, rows, start, end)


def _texts(balances: Balances) -> BucketAmounts:
    return {
        currency: {bucket: amount_text(amount, currency) for bucket, amount in buckets.items()}
        for currency, buckets in sorted(balances.items())
    }
