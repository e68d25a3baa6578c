"""Reading a stored reconciliation back: the report, its lines by class, a CSV of them."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import msgspec
from litestar.exceptions import ValidationException

from app.eventstore.application import LedgerApplication
from app.reconciliation import store
from app.reconciliation.wire import LineOut, LinesPage, ReconciliationOut
from domain.reconciliation import CLASSES

CSV_COLUMNS = [
    "line", "class", "lead_id", "duplicate_of", "exto", "click", "flow", "status_word",
    "status", "amount", "currency", "time", "goal", "differences", "settled_at", "settled_by",
    "cells", "candidates", "note",
]  # fmt: skip
_CSV_PAGE = 2_000


def run(app: LedgerApplication, run_id: UUID) -> ReconciliationOut | None:
    with app.recorder.datastore.transaction(commit=False) as cursor:
        row = store.run_of(cursor, run_id)
    if row is None:
        return None
    return msgspec.convert(
        {**row, "id": str(row["id"]), "amount_tolerance": str(row["amount_tolerance"])},
        ReconciliationOut,
    )


def remembered_mapping(app: LedgerApplication, advertiser: str) -> str | None:
    """The advertiser's remembered mapping, to show (an upload applies it only when asked)."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        return store.mapping_of(cursor, advertiser)


def check_class(line_class: str | None) -> None:
    if line_class is not None and line_class not in CLASSES:
        names = ", ".join(CLASSES)
        raise ValidationException(f"class {line_class[:40]!r} is none of {names}")


def lines_page(
    app: LedgerApplication, run_id: UUID, line_class: str | None, after: int, limit: int
) -> LinesPage | None:
    check_class(line_class)
    with app.recorder.datastore.transaction(commit=False) as cursor:
        if store.run_of(cursor, run_id) is None:
            return None
        rows = store.lines_of(cursor, run_id, line_class, after, limit + 1)
    items = [line_out(row) for row in rows[:limit]]
    return LinesPage(items, items[-1].line if len(rows) > limit else None)


def line_out(row: dict) -> LineOut:
    return msgspec.convert(
        {
            **{k: v for k, v in row.items() if v is not None},
            "class": row["class"],
            "lead_id": str(row["lead_id"]) if row["lead_id"] else None,
            "amount": store.money_text(row["amount"]),
        },
        LineOut,
    )


def csv_lines(app: LedgerApplication, run_id: UUID, line_class: str | None) -> Iterator[dict]:
    """Every line, fetched a page at a time, as flat rows for `app.audit.exports.csv_rows`."""
    check_class(line_class)
    after = 0
    while True:
        with app.recorder.datastore.transaction(commit=False) as cursor:
            rows = store.lines_of(cursor, run_id, line_class, after, _CSV_PAGE)
        for row in rows:
            yield _flat(row)
        if len(rows) < _CSV_PAGE:
            return
        after = rows[-1]["line"]


def _flat(row: dict) -> dict:
    differences = "; ".join(
        f"{d['field']}: statement {d['statement']}, ledger {d['ledger']}"
        for d in row["differences"] or ()
    )
    return {**row, "differences": differences or None}
