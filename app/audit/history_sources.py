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


def entries_for_lead(cursor: psycopg.Cursor, lead_id: UUID) -> list[EntryOut]:
    return [entry_out(row) for row in entries_of_lead(cursor, lead_id)]


def entry_out(row: dict) -> EntryOut:
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
    )


def recalculation_rows(cursor: psycopg.Cursor) -> dict[UUID, dict]:
    """Finished, switched recalculations by id (none when the ledger is not installed)."""
    return {row["id"]: row for row in recalculations.switched(cursor)}
