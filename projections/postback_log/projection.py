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


# Each index serves a read (projections.postback_log.search, .export); issue 27 folded ten into
# these to cut what every postback writes, with the plans checked by EXPLAIN (docs/performance.md).
# `position`: every listing is newest first, and `outcome`, whose common values nearly every row
# has, is read along it; the rare outcomes have their own partial index, and `site` is read in
# position order within its site.
# Partial indexes take no entry for the many rows without the value; `received_at` only ever
# filters a range of a log written in time order, which a BRIN index serves at a fraction of the
# cost of a b-tree entry per row.
_INDEXES = (
    ("position", "(position)"),
    ("lead_id", "(lead_id)"),
    ("click", "(click)"),
    ("site_position", "(site, position)"),
    ("exto_given", "(exto) WHERE exto IS NOT NULL"),
    ("error_given", "(error) WHERE error IS NOT NULL"),
    ("unusual", "(outcome, position) WHERE outcome NOT IN ('created', 'changed')"),
    ("resubmit_of", "(resubmit_of) WHERE resubmit_of IS NOT NULL"),
    ("received_at_range", "USING brin (received_at) WITH (autosummarize = on)"),
)
_RETIRED = ("received_at", "exto", "outcome", "error", "site")  # before issue 27
_DROP_RETIRED = """
DO $$
DECLARE
  home name := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = {table}::regclass);
  retired text;
BEGIN
  FOREACH retired IN ARRAY ARRAY[{names}] LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I.%I', home, retired);
  END LOOP;
END $$"""


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
        for name, definition in _INDEXES:
            cursor.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} " + definition).format(
                    sql.Identifier(f"{self.table}_{name}"), sql.Identifier(self.table)
                )
            )
        # In the table's own schema: a rebuild creates its tables with the live schema on its
        # search path, and must not drop the live table's indexes under it.
        cursor.execute(
            sql.SQL(_DROP_RETIRED).format(
                table=sql.Literal(self.table),
                names=sql.SQL(", ").join(sql.Literal(f"{self.table}_{n}") for n in _RETIRED),
            )
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
