"""Exports for disputes and reconciliation: postbacks, ledger entries, leads and lead histories.

Each export is a generator of bytes (CSV with a header row, or NDJSON: one JSON object a line)
fed by a server-side cursor over the rows its table's owner selects (`…/export.py` in
`projections/`), so a month of data streams through in batches and never sits in
memory. Filters: a period (`start` inclusive, `end` exclusive) and an advertiser or webmaster,
which selects the postbacks, entries and histories of that holder's leads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from app.audit.spreadsheet import spreadsheet_safe

_ROWS_PER_CHUNK = 500


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
    """CSV with a header; columns from the first row unless given; no cell is a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header_written = False
    for count, row in enumerate(rows, 1):
        if not header_written:
            columns = columns or list(row)
            writer.writerow(columns)
            header_written = True
        writer.writerow([spreadsheet_safe(_cell(row.get(column))) for column in columns or ()])
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
    if isinstance(value, bool):  # as in the JSON answers, not Python's True/False
        return "true" if value else "false"
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
