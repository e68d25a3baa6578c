"""The JSON shapes of the audit endpoints: lead history, as-of answers, resubmissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from app.deliveries.wire import SentOut
from app.wire import MoneyOut, PostbackOut


class LeadSnapshot(msgspec.Struct):
    """What a lead was at one moment: status, goal, and its money as the ledger priced it."""

    status: str
    goal: str
    advertiser_payout: MoneyOut | None
    webmaster_commission: MoneyOut | None
    rule_version: str
    version: int


class EntryOut(msgspec.Struct):
    """One ledger entry, signed (debit positive)."""

    account: str
    bucket: str
    amount: str
    currency: str
    reverses: bool
    rule_version: str
    position: int
    recorded_at: datetime
    recalculation_id: str | None = None
    effective_at: datetime | None = None  # when the fact happened
    booked_at: datetime | None = None  # when the ledger booked it (= recorded_at)
    period: int | None = None  # the closed period it belongs to; null while open


class EventOut(msgspec.Struct):
    """One lead event: its type, what it says, and the entries it posted."""

    position: int
    type: str
    version: int
    timestamp: datetime
    data: dict[str, Any]
    entries: list[EntryOut] = []
    sent: list[SentOut] = []  # deliveries to the webmaster this event caused


class RecalculationOut(msgspec.Struct):
    """A rebuild that repriced the lead, with the rule versions before and after."""

    id: str
    started_at: datetime
    finished_at: datetime
    actor: str | None
    rule_versions: Any = None


class StatementLineOut(msgspec.Struct):
    """The statement line a settled change came from (`app.reconciliation`)."""

    reconciliation: str
    line: int
    file: str
    by: str | None = None  # the admin who accepted it

    @property
    def label(self) -> str:
        return f"from reconciliation {self.reconciliation}, line {self.line} ({self.file})"


class HistoryStep(msgspec.Struct):
    """One step of a lead's life: a received postback, a recalculation, or a settled line."""

    kind: str  # "postback", "recalculation", "reconciliation" or "hold_release"
    at: datetime
    position: int | None
    before: LeadSnapshot | None
    after: LeadSnapshot | None
    postback: PostbackOut | None = None
    events: list[EventOut] = []
    recalculation: RecalculationOut | None = None
    statement_line: StatementLineOut | None = None
    # What the step did to a hold, in words (domain.hold_release.hold_words); None: nothing.
    hold: str | None = None


class LeadHistoryOut(msgspec.Struct):
    """Everything that happened to a lead, in order, with the money before and after each step."""

    id: str
    click: str | None
    exto: str | None
    flow: int | None
    offer: str | None
    advertiser: str | None
    webmaster: str | None
    steps: list[HistoryStep]


class BalancesOut(msgspec.Struct):
    """A holder's balances per currency and bucket (holder's view), optionally as of a time."""

    account: str
    balances: dict[str, dict[str, str]]
    as_of: datetime | None = None
