"""The postback log's rows for an export: a holder's postbacks in a period, streamed."""

from __future__ import annotations

from collections.abc import Iterator

from psycopg import sql

from projections.eventlog.events import stream_rows
from projections.eventlog.store import EventStore
from projections.lead_view.holders import ExportFilter, period, where_clause


def postback_rows(app: EventStore, where: ExportFilter) -> Iterator[dict]:
    conditions, params = period(sql.Identifier("p", "received_at"), where)
    holder, holder_params = where.holder("l")
    statement = sql.SQL(
        "SELECT p.* FROM postback_log p LEFT JOIN lead_view l ON l.id = p.lead_id{} "
        "ORDER BY p.position"
    ).format(where_clause(conditions + holder))
    with app.recorder.datastore.get_connection() as connection:
        yield from stream_rows(connection, statement, params + holder_params)
