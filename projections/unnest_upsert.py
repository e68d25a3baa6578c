"""Inserting or updating a page's rows in one statement: each column sent as one typed array.

`INSERT … SELECT FROM unnest(%s::uuid[], %s::text[], …) ON CONFLICT … DO UPDATE` is one round
trip and one statement for the whole page, where a staging table took four (create, COPY,
INSERT … SELECT, TRUNCATE, which also swaps the temporary table's file at every page). The
arrays go in binary (`%b`): psycopg's text format quotes every element with a regular
expression, which cost as much as the binary COPY of the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql


class UnnestUpsert:
    """The statement for one table, rendered once; `run` sends a page of rows with it."""

    def __init__(
        self,
        table: str,
        columns: Sequence[str],
        types: Sequence[str],
        conflict: Sequence[str],
        update: sql.Composable | None = None,
    ) -> None:
        """`update`: the SET list; by default every column not in `conflict` takes the new value."""
        if update is None:
            update = sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c))
                for c in columns
                if c not in conflict
            )
        self.statement = (
            sql.SQL(
                "INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
                "ON CONFLICT ({conflict}) DO UPDATE SET {update}"
            )
            .format(
                table=sql.Identifier(table),
                columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
                arrays=sql.SQL(", ").join(sql.SQL(f"%b::{t}[]") for t in types),
                conflict=sql.SQL(", ").join(map(sql.Identifier, conflict)),
                update=update,
            )
            .as_string(None)  # psycopg would render a Composed again at every execute
        )

    def run(self, cursor: psycopg.Cursor, rows: Sequence[Sequence]) -> None:
        if rows:
            cursor.execute(self.statement, [list(column) for column in zip(*rows, strict=True)])
