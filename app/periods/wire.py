"""The JSON shapes of periods and their statements. Amounts are strings ("10.00")."""

from __future__ import annotations

from datetime import datetime

import msgspec


class CloseRequest(msgspec.Struct, forbid_unknown_fields=True):
    """`until`: a date (midnight in LEDGER_TIME_ZONE) or an ISO 8601 time."""

    until: str


class MovementOut(msgspec.Struct):
    kind: str
    bucket: str
    amount: str


class AdjustmentOut(msgspec.Struct):
    """A change listed with its cause: in `adjustments`, one to a lead whose money lay in a
    closed period; in `settlements`, one settled from an advertiser's statement line. `cause` is
    `postback:<id>`, `statement_line:<id>` or `recalculation:<id>`. `effective_at`: when the
    fact happened; `booked_at`: when the ledger booked it, in `period` (this statement's)."""

    lead: str
    position: int
    kind: str
    bucket: str
    amount: str
    cause: str
    effective_at: str | None = None  # None in statements sealed before it was recorded
    booked_at: str | None = None
    period: int | None = None


class StatementOut(msgspec.Struct):
    """One account's statement in one currency, as its holder reads it (bucket -> amount)."""

    account: str
    currency: str
    opening: dict[str, str]
    movements: list[MovementOut]
    closing: dict[str, str]
    adjustments: list[AdjustmentOut] = []
    settlements: list[AdjustmentOut] = []


class PeriodOut(msgspec.Struct):
    """A closed period; `id` is its number (1 for the first close)."""

    id: int
    starts_at: datetime | None
    until: datetime
    covers_through: int
    entry_count: int
    entries_hash: str
    previous_seal: str
    seal: str
    closed_at: datetime
    closed_by: str
    statements: int


class PeriodPage(msgspec.Struct):
    items: list[PeriodOut]
    next_cursor: str | None


class StatementPage(msgspec.Struct):
    period: int
    items: list[StatementOut]
    next_cursor: str | None
