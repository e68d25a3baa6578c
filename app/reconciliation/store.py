"""The reconciliations' own tables: every run (or refusal), its lines, each advertiser's mapping.

These are records, not projections of the event log: a statement comes from outside, and its
rows are kept as the file had them so a reconciliation can be re-read a year later. This module
is the only one that knows their schema; the rest of the room calls it.

- `reconciliations`: one row per upload, with the file's SHA-256, who ran it and when, the
  mapping and tolerances used, and either the summary or, for a refused file, the refusal.
- `reconciliation_lines`: one row per statement line (`line` is its line number in the file)
  and one per `only_in_ledger` lead (numbered after the last line), with the class, the lead,
  the differences and, once accepted, the settlement (and, for `only_in_ledger`, when it was
  last part of a dry run: it is cancelled only after one).
- `reconciliation_mappings`: the mapping last used for each advertiser.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from domain.reconciliation import ALWAYS_SUMMED

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS reconciliations (
    id uuid PRIMARY KEY, advertiser text NOT NULL, period_from timestamptz NOT NULL,
    period_to timestamptz NOT NULL, file_name text NOT NULL, sha256 text NOT NULL,
    size bigint NOT NULL, header jsonb, mapping text NOT NULL, amount_tolerance numeric NOT NULL,
    time_tolerance_seconds bigint NOT NULL, actor text NOT NULL, created_at timestamptz NOT NULL,
    outcome text NOT NULL, summary jsonb, refusal jsonb)""",
    """CREATE TABLE IF NOT EXISTS reconciliation_lines (
    reconciliation_id uuid NOT NULL REFERENCES reconciliations (id), line integer NOT NULL,
    class text NOT NULL, lead_id uuid, dup_key text NOT NULL, duplicate_of integer,
    exto text, click text, flow integer, status_word text, status text, amount numeric,
    currency text, time timestamptz, goal text, cells jsonb, differences jsonb,
    settled_at timestamptz, settled_by text, settlement jsonb,
    PRIMARY KEY (reconciliation_id, line))""",
    # Added by issue 20: an ambiguous line's candidate leads; why a line was skipped.
    "ALTER TABLE reconciliation_lines ADD COLUMN IF NOT EXISTS candidates jsonb",
    "ALTER TABLE reconciliation_lines ADD COLUMN IF NOT EXISTS note text",
    # When an only_in_ledger line was last part of a dry run: cancelling needs one first.
    "ALTER TABLE reconciliation_lines ADD COLUMN IF NOT EXISTS dry_run_at timestamptz",
    "CREATE INDEX IF NOT EXISTS reconciliation_lines_class "
    "ON reconciliation_lines (reconciliation_id, class, line)",
    "CREATE INDEX IF NOT EXISTS reconciliation_lines_lead "
    "ON reconciliation_lines (reconciliation_id, lead_id)",
    """CREATE TABLE IF NOT EXISTS reconciliation_mappings (
    advertiser text PRIMARY KEY, mapping text NOT NULL, updated_at timestamptz NOT NULL,
    updated_by text NOT NULL)""",
)
LINE_COLUMNS = (
    "reconciliation_id", "line", "class", "lead_id", "dup_key", "exto", "click", "flow",
    "status_word", "status", "amount", "currency", "time", "goal", "cells", "differences",
)  # fmt: skip
_LOCK = 0x7265636F  # "reco": two first uploads must not both create the tables


def create_tables(cursor: psycopg.Cursor) -> None:
    """The tables, created or brought up to date only when they are not: the DDL takes locks
    (CREATE INDEX IF NOT EXISTS a SHARE lock on the table even when the index exists) that would
    make every other upload and accept wait for this transaction to end."""
    if _current(cursor):
        return
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
    for statement in _SCHEMA:
        cursor.execute(statement)


def _current(cursor: psycopg.Cursor) -> bool:
    row = cursor.execute(
        "SELECT count(*) AS n FROM pg_attribute WHERE attrelid = "
        "to_regclass('reconciliation_lines') AND attname = 'dry_run_at' AND NOT attisdropped"
    ).fetchone()
    return bool(row["n"])


def tables_exist(cursor: psycopg.Cursor) -> bool:
    row = cursor.execute("SELECT to_regclass('reconciliation_lines') IS NOT NULL AS p").fetchone()
    return bool(row["p"])


def json_text(value: Any) -> str:
    return msgspec.json.encode(value, enc_hook=str).decode()


def insert_run(cursor: psycopg.Cursor, run: dict) -> None:
    """A reconciliation (outcome `reconciled`) or a refusal (`refused`), by its fields."""
    names = list(run)
    cursor.execute(
        "INSERT INTO reconciliations ({}) VALUES ({})".format(
            ", ".join(names), ", ".join(["%s"] * len(names))
        ),
        [json_text(run[n]) if n in ("header", "summary", "refusal") else run[n] for n in names],
    )


def summary_of(cursor: psycopg.Cursor, run_id: UUID) -> dict[str, dict]:
    """Per class: how many lines, and the sum of their amounts per currency (the classes
    issue 20 added, such as `ambiguous`, only when the statement has such lines)."""
    summary: dict[str, dict] = {name.value: {"count": 0, "sums": {}} for name in ALWAYS_SUMMED}
    rows = cursor.execute(
        "SELECT class, currency, count(*) AS n, sum(amount) AS total FROM reconciliation_lines "
        "WHERE reconciliation_id = %s GROUP BY class, currency ORDER BY class, currency",
        (run_id,),
    ).fetchall()
    for row in rows:
        entry = summary.setdefault(row["class"], {"count": 0, "sums": {}})
        entry["count"] += row["n"]
        if row["currency"] is not None and row["total"] is not None:
            entry["sums"][row["currency"]] = str(row["total"])
    return summary


def set_summary(cursor: psycopg.Cursor, run_id: UUID, summary: dict) -> None:
    cursor.execute(
        "UPDATE reconciliations SET summary = %s WHERE id = %s", (json_text(summary), run_id)
    )


def remember_mapping(cursor: psycopg.Cursor, advertiser: str, text: str, actor: str) -> None:
    cursor.execute(
        """INSERT INTO reconciliation_mappings VALUES (%s, %s, now(), %s)
        ON CONFLICT (advertiser) DO UPDATE SET mapping = EXCLUDED.mapping,
            updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by""",
        (advertiser, text, actor),
    )


def mapping_of(cursor: psycopg.Cursor, advertiser: str) -> str | None:
    if not tables_exist(cursor):
        return None
    row = cursor.execute(
        "SELECT mapping FROM reconciliation_mappings WHERE advertiser = %s", (advertiser,)
    ).fetchone()
    return row["mapping"] if row else None


def run_of(cursor: psycopg.Cursor, run_id: UUID) -> dict | None:
    if not tables_exist(cursor):
        return None
    return cursor.execute("SELECT * FROM reconciliations WHERE id = %s", (run_id,)).fetchone()


def lines_of(
    cursor: psycopg.Cursor,
    run_id: UUID,
    line_class: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[dict]:
    """Lines in file order from just after line `after`, of one class or all."""
    return cursor.execute(
        "SELECT * FROM reconciliation_lines WHERE reconciliation_id = %s AND line > %s "
        "AND (%s::text IS NULL OR class = %s) ORDER BY line LIMIT %s",
        (run_id, after, line_class, line_class, limit),
    ).fetchall()


def lines_to_settle(
    cursor: psycopg.Cursor, run_id: UUID, classes: list[str], lines: list[int]
) -> list[dict]:
    """The chosen lines (by class or by number) in file order, locked until the commit."""
    return cursor.execute(
        "SELECT * FROM reconciliation_lines WHERE reconciliation_id = %s "
        "AND (class = ANY(%s) OR line = ANY(%s)) ORDER BY line FOR UPDATE",
        (run_id, classes, lines),
    ).fetchall()


def mark_settled(
    cursor: psycopg.Cursor, run_id: UUID, settled: dict[int, dict], actor: str
) -> None:
    for line, settlement in settled.items():
        cursor.execute(
            "UPDATE reconciliation_lines SET settled_at = now(), settled_by = %s, "
            "settlement = %s WHERE reconciliation_id = %s AND line = %s AND settled_at IS NULL",
            (actor, json_text(settlement), run_id, line),
        )


def mark_dry_run(cursor: psycopg.Cursor, run_id: UUID, lines: list[int]) -> None:
    """The lines were part of a dry run now (a dry run's own transaction is rolled back)."""
    cursor.execute(
        "UPDATE reconciliation_lines SET dry_run_at = now() WHERE reconciliation_id = %s "
        "AND line = ANY(%s) AND settled_at IS NULL",
        (run_id, lines),
    )


def money_text(amount: Decimal | None) -> str | None:
    return None if amount is None else format(amount, "f")


def recent_runs(cursor: psycopg.Cursor, limit: int = 50) -> list[dict]:
    if not tables_exist(cursor):
        return []
    return cursor.execute(
        "SELECT * FROM reconciliations ORDER BY created_at DESC LIMIT %s", (limit,)
    ).fetchall()


def remembered_mappings(cursor: psycopg.Cursor) -> dict[str, str]:
    """Each advertiser's last mapping, to show (never to apply unseen) on the upload form."""
    if not tables_exist(cursor):
        return {}
    rows = cursor.execute("SELECT advertiser, mapping FROM reconciliation_mappings").fetchall()
    return {row["advertiser"]: row["mapping"] for row in rows}
