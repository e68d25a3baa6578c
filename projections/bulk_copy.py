"""Writing many rows at once with binary COPY, each column dumped as its declared type.

Text COPY formats every value in Python and PostgreSQL parses it back; the binary format, with
the column types given up front, let psycopg's C dumpers do most of the work: about twice as
fast for the ledger's rows. The values arrive in PostgreSQL exactly as with text (a numeric
keeps its scale, a timestamp its microseconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql


def copy_rows(
    cursor: psycopg.Cursor,
    table: str,
    columns: Sequence[str],
    types: Sequence[str],
    rows: Iterable[Sequence],
) -> None:
    """COPY the rows into `table`; `types` are the PostgreSQL types of `columns`, in order."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cursor.copy(statement) as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)
