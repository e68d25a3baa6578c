"""The JSON shapes of `/api/reconciliations`: uploads, reports, lines and settlements."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec


class ClassSum(msgspec.Struct):
    """How many lines a class has, and the sum of their amounts per currency."""

    count: int
    sums: dict[str, str]


class ReconciliationCreated(msgspec.Struct):
    id: str
    summary: dict[str, ClassSum]
    mapping: str = ""  # the mapping the statement was read with
    # "given" (in this upload), "remembered" (the advertiser's last one), or "none"
    mapping_source: str = "none"
    # The advertiser's remembered mapping (after this upload): shown, applied only when an
    # upload asks with use_remembered_mapping=true.
    remembered_mapping: str | None = None


class ReconciliationOut(msgspec.Struct):
    """One upload: the statement's fingerprint, who ran it, how, and what it found."""

    id: str
    advertiser: str
    period_from: datetime
    period_to: datetime
    file_name: str
    sha256: str
    size: int
    mapping: str
    amount_tolerance: str
    time_tolerance_seconds: int
    actor: str
    created_at: datetime
    outcome: str  # "reconciled" or "refused"
    header: list[str] | None = None
    summary: dict[str, ClassSum] | None = None
    refusal: dict[str, Any] | None = None


class DifferenceOut(msgspec.Struct):
    field: str
    statement: str
    ledger: str


class LineOut(msgspec.Struct):
    """A statement line (or a lead only the ledger has), its class and its settlement."""

    line: int
    line_class: str = msgspec.field(name="class")
    lead_id: str | None = None
    duplicate_of: int | None = None
    exto: str | None = None
    click: str | None = None
    flow: int | None = None
    status_word: str | None = None
    status: str | None = None
    amount: str | None = None
    currency: str | None = None
    time: datetime | None = None
    goal: str | None = None
    cells: dict[str, str] | None = None
    differences: list[DifferenceOut] | None = None
    candidates: list[dict[str, Any]] | None = None  # an ambiguous line's leads to choose from
    note: str | None = None  # why a skipped row is no line
    settled_at: datetime | None = None
    settled_by: str | None = None
    settlement: dict[str, Any] | None = None
    dry_run_at: datetime | None = None  # an only_in_ledger line's last dry run (cancel needs one)


class LinesPage(msgspec.Struct):
    items: list[LineOut]
    next_after: int | None


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    # Every class that settles by class; the others (only_in_statement, ambiguous and
    # outside_period) only by line number: the schema refuses them here.
    classes: list[Literal["value_differs", "matched", "only_in_ledger"]] = []
    lines: list[int] = []
    dry_run: bool = False
    # An ambiguous line settles only on the lead the user names: {"7": "<lead id>"} (a key that
    # is no line number names no line, and is ignored).
    leads: dict[str, str] = {}


class LineSettlement(msgspec.Struct):
    line: int
    line_class: str = msgspec.field(name="class")
    outcome: str = ""  # settled, unchanged, already_settled or skipped
    lead_id: str | None = None
    changes: list[str] = []
    reason: str | None = None
    cause_id: str | None = None


class BalanceMove(msgspec.Struct):
    """One balance as its holder reads it, before and after the accepted lines."""

    account: str
    bucket: str
    currency: str
    before: str
    after: str


class AcceptOut(msgspec.Struct):
    reconciliation_id: str
    dry_run: bool
    lines: list[LineSettlement]
    balances: list[BalanceMove]


class StatementErrorBody(msgspec.Struct):
    """A refused statement: where it failed, and the id the refusal is stored under."""

    error: str
    message: str
    line: int | None = None
    column: str | None = None
    reconciliation_id: str | None = None
    status: str = "error"
