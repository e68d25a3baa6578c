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
    """A change to a lead whose money lay in a closed period; `cause` is `postback:<id>` (a
    statement line's id for a settled change) or `recalculation:<id>`."""

    lead: str
    position: int
    kind: str
    bucket: str
    amount: str
    cause: str


class StatementOut(msgspec.Struct):
    """One account's statement in one currency, as its holder reads it (bucket -> amount)."""

    account: str
    currency: str
    opening: dict[str, str]
    movements: list[MovementOut]
    closing: dict[str, str]
    adjustments: list[AdjustmentOut] = []


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
