"""The set-based steps of an upload plan the same way whatever the table statistics say.

The duplicates step used to be an UPDATE joining the stored lines with themselves; once
`reconciliation_lines` had statistics from earlier uploads (one big run), PostgreSQL estimated a
new run at one line and planned that join as a nested loop: a rescan of every line per line, so
100,000 lines ran for hours. These tests build such skewed statistics and read the plans.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from app.reconciliation import staging, store
from tests.controls import create
from tests.reconciliation.controls import counts, lines, statement, uploaded

# The duplicates step as it was (kept here to show the skew below does make a join a loop).
OLD_DUPLICATES = """EXPLAIN WITH ranked AS (
    SELECT line, first_value(line) OVER (PARTITION BY dup_key ORDER BY line) AS first
    FROM reconciliation_lines WHERE reconciliation_id = %(id)s)
UPDATE reconciliation_lines r SET class = 'duplicates', duplicate_of = ranked.first
FROM ranked WHERE r.reconciliation_id = %(id)s AND r.line = ranked.line
  AND ranked.first <> ranked.line"""


def _skewed(cursor: psycopg.Cursor, lines: int = 30_000) -> None:
    """One earlier run of many lines, then ANALYZE: a new run is estimated at about one line."""
    earlier = uuid.uuid4()
    cursor.execute(
        "INSERT INTO reconciliations (id, advertiser, period_from, period_to, file_name, sha256,"
        " size, mapping, amount_tolerance, time_tolerance_seconds, actor, created_at, outcome)"
        " VALUES (%s, 'adv-1', now(), now(), 'f', '', 0, '', 0, 0, 't', now(), 'reconciled')",
        (earlier,),
    )
    cursor.execute(
        "INSERT INTO reconciliation_lines (reconciliation_id, line, class, dup_key, exto)"
        " SELECT %s, n, 'matched', 'k' || n, 'o-' || n FROM generate_series(2, %s) n",
        (earlier, lines),
    )
    cursor.execute("ANALYZE reconciliation_lines")


@pytest.fixture
def skewed_database(demo, services):
    """The tables of a used database: created by an upload, then skewed and analysed."""
    uploaded(demo, statement([["o-1", "new"]], ["exto", "status"]))
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        _skewed(cursor)
    return services


def test_the_skewed_statistics_make_a_self_join_of_the_lines_a_nested_loop(skewed_database):
    with skewed_database.ledger.recorder.datastore.transaction(commit=False) as cursor:
        plan = cursor.execute(OLD_DUPLICATES, {"id": uuid.uuid4()}).fetchall()

    assert "Nested Loop" in "\n".join(row["QUERY PLAN"] for row in plan)


def test_the_finishing_steps_plan_no_nested_loop_on_skewed_statistics(skewed_database):
    start = datetime.now(UTC) - timedelta(days=1)
    with skewed_database.ledger.recorder.datastore.transaction(commit=False) as cursor:
        store.create_tables(cursor)
        staging.create(cursor)
        cursor.execute(f"ANALYZE {staging.STAGING}")  # even with the staging table analysed
        plans = staging.plans(cursor, uuid.uuid4(), "adv-1", start, start + timedelta(days=2))

    duplicates, only_in_ledger = plans
    assert "Nested Loop" not in duplicates and "Join" not in duplicates, duplicates
    assert "WindowAgg" in duplicates, duplicates
    assert "Nested Loop" not in only_in_ledger, only_in_ledger
    assert "Hash Anti Join" in only_in_ledger, only_in_ledger


def test_a_statement_on_a_used_database_is_classified_as_on_a_fresh_one(demo, skewed_database):
    for exto in ("o-1", "o-2", "o-3"):
        create(demo, flow="101", exto=exto)
    skewed_database.runner.catch_up()
    rows = [["o-1", "new"], ["o-2", "new"], ["o-1", "new"], ["o-9", "new"], ["o-2", "new"]]

    run = uploaded(demo, statement(rows, ["exto", "status"]))

    assert counts(run["summary"]) == {"matched": 2, "value_differs": 0, "only_in_statement": 1,
                                      "only_in_ledger": 1, "duplicates": 2}  # fmt: skip
    found = {line["line"]: line for line in lines(demo, run["id"])}
    assert (found[4]["duplicate_of"], found[6]["duplicate_of"]) == (2, 3)
    assert found[7]["class"] == "only_in_ledger" and found[7]["exto"] == "o-3"
