"""The ledger's entries for an export: a holder's entries in a period, streamed.

Payouts, invoices and payments have no lead (their id stands in its column): an export of the
whole ledger holds them, one naming a holder holds only that holder's leads.
"""

from __future__ import annotations

from collections.abc import Iterator

from psycopg import sql

from projections.eventlog.events import stream_rows, table_exists
from projections.eventlog.store import EventStore
from projections.lead_view.holders import ExportFilter, period, where_clause


def ledger_rows(app: EventStore, where: ExportFilter) -> Iterator[dict]:
    conditions, params = period(sql.Identifier("e", "recorded_at"), where)
    holder, holder_params = where.holder("l")
    statement = sql.SQL(
        "SELECT e.* FROM ledger_entries e LEFT JOIN lead_view l ON l.id = e.lead_id{} ORDER BY e.id"
    ).format(where_clause(conditions + holder))
    with app.recorder.datastore.get_connection() as connection:
        with connection.cursor() as probe:
            if not table_exists(probe, "ledger_entries"):
                return
        yield from stream_rows(connection, statement, params + holder_params)
