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
from psycopg import sql

from app.audit.wire import EntryOut
from domain.lead_state import LeadState
from domain.money import Money
from projections.eventlog.events import table_exists

POSTBACK_LOG = "postback_log"
LEDGER_ENTRIES = "ledger_entries"


def postbacks_for(
    cursor: psycopg.Cursor, lead_id: UUID, state: LeadState | None, flow_code: str | None
) -> list[dict]:
    """Every logged postback that was for this lead or named it, oldest first."""
    conditions = [sql.SQL("lead_id = %s")]
    params: list = [lead_id]
    if state is not None and state.click:
        conditions.append(sql.SQL("(click = %s AND (exto IS NULL OR exto = %s))"))
        params += [state.click, state.exto or ""]
    elif state is not None and state.exto:
        conditions.append(
            sql.SQL(
                "(click IS NULL AND exto = %s AND "
                "(params->'flow'->>0 = %s OR params->'code'->>0 = %s))"
            )
        )
        params += [state.exto, str(state.flow), flow_code or ""]
    statement = sql.SQL("SELECT * FROM {} WHERE {} ORDER BY position").format(
        sql.Identifier(POSTBACK_LOG), sql.SQL(" OR ").join(conditions)
    )
    return cursor.execute(statement, params).fetchall()


def entries_for_lead(cursor: psycopg.Cursor, lead_id: UUID) -> list[EntryOut]:
    if not table_exists(cursor, LEDGER_ENTRIES):
        return []
    rows = cursor.execute(
        sql.SQL("SELECT * FROM {} WHERE lead_id = %s ORDER BY id").format(
            sql.Identifier(LEDGER_ENTRIES)
        ),
        (lead_id,),
    ).fetchall()
    return [entry_out(row) for row in rows]


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
    if not table_exists(cursor, "recalculations"):
        return {}
    rows = cursor.execute(
        "SELECT * FROM recalculations WHERE NOT dry_run AND finished_at IS NOT NULL"
    ).fetchall()
    return {row["id"]: row for row in rows}
