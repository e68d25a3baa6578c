"""The postback log: every received postback with its outcome, searchable by support staff.

One row per `Postback.Received` event, including rejected and ignored postbacks with their
error codes, so "what did we receive, and what did it do?" is one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from domain.postback import Postback
from projections.bulk_copy import copy_rows

_COLUMNS = (
    "id", "position", "received_at", "endpoint", "method", "source_ip", "request_id",
    "outcome", "error", "message", "http_status", "lead_id", "click", "exto", "site",
    "resubmit_of", "params",
)  # fmt: skip
_TYPES = (
    "uuid", "int8", "timestamptz", "text", "text", "text", "text",
    "text", "text", "text", "int4", "uuid", "text", "text", "text",
    "uuid", "jsonb",
)  # fmt: skip


class PostbackLogProjection:
    """Appends one row to `postback_log` per received postback."""

    name = "postback_log"

    def __init__(self, table: str = "postback_log") -> None:
        self.table = table

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        cursor.execute(
            sql.SQL(
                """CREATE TABLE IF NOT EXISTS {table} (
                id uuid PRIMARY KEY, position bigint NOT NULL, received_at timestamptz NOT NULL,
                endpoint text NOT NULL, method text NOT NULL, source_ip text NOT NULL,
                request_id text NOT NULL, outcome text NOT NULL, error text, message text,
                http_status integer NOT NULL, lead_id uuid, click text, exto text, site text,
                resubmit_of uuid, params jsonb NOT NULL)"""
            ).format(table=sql.Identifier(self.table))
        )
        # `position`: every listing is newest first; without it each page sorted the whole log.
        columns = (
            "position", "received_at", "lead_id", "click", "exto", "outcome", "error", "site",
        )  # fmt: skip
        for column in columns:
            cursor.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                    sql.Identifier(f"{self.table}_{column}"),
                    sql.Identifier(self.table),
                    sql.Identifier(column),
                )
            )
        # Few postbacks are re-submissions: a partial index stays small.
        cursor.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} (resubmit_of) WHERE resubmit_of IS NOT NULL"
            ).format(sql.Identifier(f"{self.table}_resubmit_of"), sql.Identifier(self.table))
        )

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        """COPY, without a conflict check: a `Received` is its postback's creation event, so the
        store holds one per id, and the runner applies each event once."""
        rows = [_row(i, e) for i, e in events if isinstance(e, Postback.Received)]
        if rows:
            copy_rows(cursor, self.table, _COLUMNS, _TYPES, rows)


def _first(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _site_of(params: dict[str, list[str]]) -> str | None:
    """The site id of a site token (stored masked as "7-***"); None for a global token."""
    token = _first(params, "token") or ""
    site, dash, _ = token.partition("-")
    return site if dash and site.isdigit() else None


def _row(position: int, event: Postback.Received) -> tuple:
    params = event.params
    return (
        event.originator_id, position, event.received_at, event.endpoint, event.method,
        event.source_ip, event.request_id, event.outcome, event.error, event.message,
        event.http_status, event.lead_id, _first(params, "click"), _first(params, "exto"),
        _site_of(params), event.resubmit_of, Jsonb(params),
    )  # fmt: skip
