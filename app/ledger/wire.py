"""The JSON shapes of the money endpoints: commissions, balances, entries, reports, rebuilds.

Amounts are strings ("10.00"), never floats. Balances and report sums are as their holders read
them (what a webmaster has earned, what an advertiser owes, the network's margin); entries are
signed, debit positive, so that each posting sums to zero per currency.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from app.wire import MoneyOut

# currency -> bucket (pending, hold, approved) -> amount
BucketAmounts = dict[str, dict[str, str]]


class EntryOut(msgspec.Struct):
    """One ledger entry and what caused it."""

    id: int
    posting_id: str
    lead_id: str
    position: int
    event_type: str
    postback_id: str | None
    rule_version: str
    account: str
    bucket: str
    amount: str
    currency: str
    reverses: bool
    recorded_at: datetime
    recalculation_id: str | None
    effective_at: datetime  # when the fact happened (a statement line's time, the event's)
    booked_at: datetime  # when the ledger booked it: the event's recorded time
    period: int | None  # the closed period it belongs to; null while the period is open
    statement_line: str | None  # the statement line that settled the change, if one did


class CommissionOut(msgspec.Struct):
    """A lead's amounts as the ledger books them now, and every entry it posted."""

    lead_id: str
    status: str
    bucket: str | None
    offer: str
    goal: str
    advertiser: str
    webmaster: str
    advertiser_payout: MoneyOut | None
    webmaster_commission: MoneyOut | None
    rule_version: str
    position: int
    entries: list[EntryOut]


class BalancesOut(msgspec.Struct):
    account: str
    balances: BucketAmounts


class EntryPage(msgspec.Struct):
    items: list[EntryOut]
    next_cursor: int | None


class ReportRow(msgspec.Struct):
    """One group: its leads per status and the money per side, currency and bucket."""

    group: str
    leads: dict[str, int]
    advertiser_payout: BucketAmounts
    webmaster_commission: BucketAmounts
    network_margin: BucketAmounts


class CommissionReport(msgspec.Struct):
    group_by: str
    rows: list[ReportRow]
    start: datetime | None = msgspec.field(default=None, name="from")
    end: datetime | None = msgspec.field(default=None, name="to")


class RecalculationSummary(msgspec.Struct):
    """One rebuild or dry run, without its full list of differences."""

    id: str
    started_at: datetime
    finished_at: datetime
    actor: str
    dry_run: bool
    projections: list[str]
    events_processed: int
    leads_changed: int
    accounts_changed: int
    leads_repriced: int = 0  # their amounts or bucket change
    leads_relabelled: int = 0  # only their rule version or goal shown changes


class RecalculationOut(msgspec.Struct):
    """One rebuild or dry run in full: the rules it used and every difference it found."""

    id: str
    started_at: datetime
    finished_at: datetime
    actor: str
    dry_run: bool
    projections: list[str]
    events_processed: int
    rule_versions: dict[str, Any]
    differences: dict[str, Any]


class RecalculationPage(msgspec.Struct):
    items: list[RecalculationSummary]
    next_cursor: str | None


class RecalculationRequest(msgspec.Struct):
    """`projections`: leads, commissions or all."""

    projections: Literal["leads", "commissions", "all"] = "all"
    dry_run: bool = True
