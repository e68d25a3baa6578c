"""Exports for disputes and reconciliation: postbacks, ledger entries and lead histories.

Each export is a generator of bytes (CSV with a header row, or NDJSON: one JSON object a line)
fed by a server-side cursor, so a month of data streams through in batches and never sits in
memory. Filters: a period (`start` inclusive, `end` exclusive) and an advertiser or webmaster,
which selects the postbacks, entries and histories of that holder's leads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import msgspec
from psycopg import sql

from app.eventstore.application import LedgerApplication
from projections.eventlog.events import stream_rows, table_exists

_ROWS_PER_CHUNK = 500


@dataclass(frozen=True)
class ExportFilter:
    start: datetime | None = None
    end: datetime | None = None
    advertiser: str | None = None
    webmaster: str | None = None

    def holder(self, alias: str) -> tuple[list[sql.Composable], list]:
        """Conditions selecting the rows of this holder's leads (lead_view as `alias`)."""
        conditions, params = [], []
        for column, value in (("advertiser", self.advertiser), ("webmaster", self.webmaster)):
            if value:
                conditions.append(sql.SQL("{} = %s").format(sql.Identifier(alias, column)))
                params.append(value)
        return conditions, params


def where_clause(conditions: list[sql.Composable]) -> sql.Composable:
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")


def _period(column: sql.Identifier, where: ExportFilter) -> tuple[list[sql.Composable], list]:
    conditions, params = [], []
    if where.start is not None:
        conditions.append(sql.SQL("{} >= %s").format(column))
        params.append(where.start)
    if where.end is not None:
        conditions.append(sql.SQL("{} < %s").format(column))
        params.append(where.end)
    return conditions, params


def postback_rows(app: LedgerApplication, where: ExportFilter) -> Iterator[dict]:
    conditions, params = _period(sql.Identifier("p", "received_at"), where)
    holder, holder_params = where.holder("l")
    statement = sql.SQL(
        "SELECT p.* FROM postback_log p LEFT JOIN lead_view l ON l.id = p.lead_id{} "
        "ORDER BY p.position"
    ).format(where_clause(conditions + holder))
    with app.recorder.datastore.get_connection() as connection:
        yield from stream_rows(connection, statement, params + holder_params)


def ledger_rows(app: LedgerApplication, where: ExportFilter) -> Iterator[dict]:
    conditions, params = _period(sql.Identifier("e", "recorded_at"), where)
    holder, holder_params = where.holder("l")
    statement = sql.SQL(
        "SELECT e.* FROM ledger_entries e JOIN lead_view l ON l.id = e.lead_id{} ORDER BY e.id"
    ).format(where_clause(conditions + holder))
    with app.recorder.datastore.get_connection() as connection:
        with connection.cursor() as probe:
            if not table_exists(probe, "ledger_entries"):
                return
        yield from stream_rows(connection, statement, params + holder_params)


def ndjson(items: Iterable[object]) -> Iterator[bytes]:
    encoder = msgspec.json.Encoder(enc_hook=_plain)
    chunk = bytearray()
    for count, item in enumerate(items, 1):
        chunk += encoder.encode(item) + b"\n"
        if count % _ROWS_PER_CHUNK == 0:
            yield bytes(chunk)
            chunk.clear()
    if chunk:
        yield bytes(chunk)


def csv_rows(rows: Iterable[dict], columns: list[str] | None = None) -> Iterator[bytes]:
    """CSV with a header; columns from the first row unless given."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header_written = False
    for count, row in enumerate(rows, 1):
        if not header_written:
            columns = columns or list(row)
            writer.writerow(columns)
            header_written = True
        writer.writerow([_cell(row.get(column)) for column in columns or ()])
        if count % _ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if not header_written and columns:
        writer.writerow(columns)
    if buffer.getvalue():
        yield buffer.getvalue().encode()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return msgspec.json.encode(value, enc_hook=_plain).decode()
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _plain(value: object) -> object:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    raise NotImplementedError(type(value))
