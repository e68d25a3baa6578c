"""The set-based steps of a reconciliation, over a staging table its lines are copied into.

Matched lines are first COPYed into `reconciliation_staging`, a temporary table of the upload's
own transaction (dropped at its commit) with no index and no statistics. From there two
statements finish the run:

- the lines go into `reconciliation_lines` in one INSERT … SELECT whose window function
  (`first_value` over each duplicate key, in line order) tells the duplicates apart: one scan
  and one sort, no join at all;
- the advertiser's leads of the period that no line found are added by an anti-join of the lead
  view with the staging table (and with the candidates of ambiguous lines).

Neither plan may depend on the table statistics: the duplicates step used to be an UPDATE
joining the stored lines with themselves, which PostgreSQL planned as a nested loop (a rescan
of every line per line) once statistics from earlier uploads told it a new run has one line.
Nested loops are switched off for these statements (`SET LOCAL`), so the anti-join is a hash
join whatever the estimates say; `plans` shows the plans (a test reads them after ANALYZE).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import psycopg

from app.reconciliation.store import LINE_COLUMNS
from domain.reconciliation import LineClass
from projections.lead_view.statement_leads import CREATED_IN_PERIOD

STAGING = "reconciliation_staging"
CANDIDATES = "reconciliation_staging_candidates"
_STAGED = (*LINE_COLUMNS, "candidates", "note")

_CREATE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} (LIKE reconciliation_lines) ON COMMIT DROP",
    f"CREATE TEMP TABLE IF NOT EXISTS {CANDIDATES} (lead_id uuid NOT NULL) ON COMMIT DROP",
)

_KEPT = ", ".join(c for c in _STAGED if c not in ("class",))
STORE_LINES = f"""INSERT INTO reconciliation_lines ({_KEPT}, class, duplicate_of)
    SELECT {_KEPT},
        CASE WHEN first <> line THEN %(dup)s ELSE class END,
        CASE WHEN first <> line THEN first END
    FROM (SELECT *, first_value(line) OVER (PARTITION BY dup_key ORDER BY line) AS first
          FROM {STAGING}) ranked"""

ADD_ONLY_IN_LEDGER = f"""INSERT INTO reconciliation_lines (reconciliation_id, line, class,
        lead_id, dup_key, exto, click, flow, status, amount, currency, time, goal)
    SELECT %(id)s, (SELECT coalesce(max(line), 1) FROM {STAGING})
                   + row_number() OVER (ORDER BY l.created_at, l.id),
        %(class)s, l.id, l.id::text, l.exto, l.click, l.flow, l.status,
        l.advertiser_amount, l.advertiser_currency, l.created_at, l.goal
    FROM ({CREATED_IN_PERIOD}) l
    WHERE NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.lead_id = l.id)
      AND NOT EXISTS (SELECT 1 FROM {CANDIDATES} c WHERE c.lead_id = l.id)"""


def create(cursor: psycopg.Cursor) -> None:
    """The staging tables, empty, for this transaction; nested loops off for its statements."""
    for statement in _CREATE:
        cursor.execute(statement)
    cursor.execute(f"TRUNCATE {STAGING}, {CANDIDATES}")
    cursor.execute("SET LOCAL enable_nestloop = off")


def copy(cursor: psycopg.Cursor, rows: Iterable[tuple], candidates: Iterable[UUID]) -> None:
    with cursor.copy(f"COPY {STAGING} ({', '.join(_STAGED)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)
    found = list(candidates)
    if found:
        with cursor.copy(f"COPY {CANDIDATES} (lead_id) FROM STDIN") as out:
            for lead_id in found:
                out.write_row((lead_id,))


def _parameters(run_id: UUID, advertiser: str, start: datetime, end: datetime) -> dict:
    return {"id": run_id, "dup": LineClass.DUPLICATES.value, "advertiser": advertiser,
            "class": LineClass.ONLY_IN_LEDGER.value, "start": start, "end": end}  # fmt: skip


def finish(
    cursor: psycopg.Cursor, run_id: UUID, advertiser: str, start: datetime, end: datetime
) -> None:
    """Staged lines into `reconciliation_lines` (duplicates told apart), then only_in_ledger."""
    parameters = _parameters(run_id, advertiser, start, end)
    cursor.execute(STORE_LINES, parameters)
    cursor.execute(ADD_ONLY_IN_LEDGER, parameters)


def plans(
    cursor: psycopg.Cursor, run_id: UUID, advertiser: str, start: datetime, end: datetime
) -> list[str]:
    """EXPLAIN of both finishing statements, as they would run now (staging tables created)."""
    parameters = _parameters(run_id, advertiser, start, end)
    found = []
    for statement in (STORE_LINES, ADD_ONLY_IN_LEDGER):
        rows = cursor.execute("EXPLAIN " + statement, parameters).fetchall()
        found.append("\n".join(next(iter(row.values())) for row in rows))
    return found
