"""The stored facts a lead's history is assembled from, other than its events.

Postbacks come from the postback log, including rejected ones that never reached the lead
(matched by the click, exto or flow they named), because "we sent you a cancel on the 3rd" is
answered by a rejected postback as often as by an accepted one. Ledger entries and recalculations
come from the ledger's tables when that projection is installed; without them the history still
tells the events and the money from the catalog.
"""

from __future__ import annotations

from uuid import UUID

import psycopg

from app.audit.wire import EntryOut
from domain.money import Money
from projections.commission_ledger import recalculations
from projections.commission_ledger.reads import entries_of_lead
from projections.periods.reads import EntryPeriods, entry_periods


def entries_for_lead(cursor: psycopg.Cursor, lead_id: UUID) -> list[EntryOut]:
    periods = entry_periods(cursor)
    return [entry_out(row, periods) for row in entries_of_lead(cursor, lead_id)]


def entry_out(row: dict, periods: EntryPeriods) -> EntryOut:
    recalculation = row.get("recalculation_id")
    return EntryOut(
        account=row["account"],
        bucket=row["bucket"],
        amount=Money(row["amount"], row["currency"]).to_wire()["amount"],
        currency=row["currency"],
        reverses=row["reverses"],
        rule_version=row["rule_version"],
        position=row["position"],
        recorded_at=row["recorded_at"],
        recalculation_id=str(recalculation) if recalculation else None,
        **periods.keys_of(row),
    )


def recalculation_rows(cursor: psycopg.Cursor) -> dict[UUID, dict]:
    """Finished, switched recalculations by id (none when the ledger is not installed)."""
    return {row["id"]: row for row in recalculations.switched(cursor)}
