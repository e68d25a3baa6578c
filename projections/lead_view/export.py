"""The lead view's rows for an export: a holder's leads created in a period, in the columns an
advertiser's statement uses (`docs/reconciliation.md`), streamed.

What to send an advertiser, or to reconcile against: reconciling this export of a period gives
only `matched` lines.
"""

from __future__ import annotations

from collections.abc import Iterator

from psycopg import sql

from projections.eventlog.events import stream_rows
from projections.eventlog.store import EventStore
from projections.lead_view.holders import ExportFilter, period, where_clause

LEAD_COLUMNS = [
    "id", "exto", "click", "flow", "offer", "goal", "status", "amount", "currency", "time",
    "webmaster", "webmaster_amount", "webmaster_currency",
]  # fmt: skip


def lead_rows(app: EventStore, where: ExportFilter) -> Iterator[dict]:
    conditions, params = period(sql.Identifier("l", "created_at"), where)
    holder, holder_params = where.holder("l")
    statement = sql.SQL(
        "SELECT l.id, l.exto, l.click, l.flow, l.offer, l.goal, l.status, "
        "l.advertiser_amount AS amount, l.advertiser_currency AS currency, l.created_at AS time, "
        "l.webmaster, l.webmaster_amount, l.webmaster_currency "
        "FROM lead_view l{} ORDER BY l.created_at, l.id"
    ).format(where_clause(conditions + holder))
    with app.recorder.datastore.get_connection() as connection:
        yield from stream_rows(connection, statement, params + holder_params)
