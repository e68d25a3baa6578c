"""What each index of `ledger_entries` costs its writes: rows copied with and without it.

    PYTHONPATH=scripts:. .venv/bin/python -m benchmark.index_cost [--rows 100000] [--rounds 2]

The table is made as the ledger makes it (`projections.commission_ledger.schema`) in a scratch
embedded PostgreSQL, then filled in pages of 1,000 rows by COPY, as the read models write, once
with every index and once without each one in turn. Wall time is PostgreSQL's work: the client
only streams rows. Compare within one run.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

from app.eventstore.database import embedded_address, start_embedded
from projections.commission_ledger import schema

PAGE = 1000


def entries(count: int) -> list[tuple]:
    """Rows like a webmaster's entries: 50 accounts, 5 entries per position, a second apart."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        (uuid.uuid4(), uuid.uuid4(), i // 5, "StatusChanged", None, "v1", f"webmaster:wm-{i % 50}",
         "approved", Decimal("-10.50"), "USD", False, start + timedelta(seconds=i), None,
         start + timedelta(seconds=i), None)
        for i in range(count)
    ]  # fmt: skip


def copy_seconds(connection: psycopg.Connection, rows: list[tuple], left_out: str | None) -> float:
    connection.execute("DROP TABLE IF EXISTS ledger_entries")
    connection.execute(schema._ENTRIES)
    for statement in schema._ADDED_COLUMNS:
        connection.execute(statement)
    for name, columns in schema._ENTRY_INDEXES.items():
        if name != left_out:
            connection.execute(f"CREATE INDEX {name} ON ledger_entries {columns}")
    columns = ", ".join(schema.ENTRY_COLUMNS)
    began = time.monotonic()
    for first in range(0, len(rows), PAGE):
        with (
            connection.transaction(),
            connection.cursor().copy(f"COPY ledger_entries ({columns}) FROM STDIN") as copy,
        ):
            for row in rows[first : first + PAGE]:
                copy.write_row(row)
    return time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmark.index_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows per fill (100000)")
    parser.add_argument("--rounds", type=int, default=2, help="fills of each variant (2)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="plb-index-", dir="/tmp"))
    server = start_embedded(folder)
    try:
        rows = entries(args.rows)
        with psycopg.connect(embedded_address(server).conninfo(), autocommit=True) as connection:
            for round_ in range(1, args.rounds + 1):
                whole = copy_seconds(connection, rows, None)
                print(f"round {round_}: every index {whole:.2f} s for {args.rows:,} rows")
                for name in schema._ENTRY_INDEXES:
                    seconds = copy_seconds(connection, rows, name)
                    print(f"  without {name}: {seconds:.2f} s ({seconds / whole:.2f}×)")
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
