"""The postback log's filters keep their index after issue 27 folded ten indexes into fewer.

Every postback writes an entry into each index of the log, so single-column indexes on values
that most rows share (`outcome`, `site`) or lack (`exto`, `error`) became partial or composite
ones. The support search must still reach each filter through an index on a log with
statistics, and a log created before the change loses the retired indexes at start-up.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from projections.postback_log.projection import PostbackLogProjection

_FILL = """
INSERT INTO postback_log (id, position, received_at, endpoint, method, source_ip, request_id,
    outcome, error, http_status, lead_id, click, exto, site, params)
SELECT gen_random_uuid(), n, now() - (1100000 - n) * interval '1 second', 'status', 'GET',
    '127.0.0.1', 'r' || n,
    CASE WHEN n % 100 = 1 THEN 'rejected' WHEN n % 2 = 0 THEN 'changed' ELSE 'created' END,
    CASE WHEN n % 100 = 1 THEN 'unknown_click' END, 200, gen_random_uuid(),
    CASE WHEN n % 50 <> 0 THEN 'c' || n END, CASE WHEN n % 50 = 0 THEN 'x' || n END,
    CASE WHEN n % 500 = 0 THEN '9' ELSE '7' END, '{}'::jsonb
FROM generate_series(1000000, 1060000) AS n
"""
_PAGE = "SELECT * FROM postback_log WHERE {} = %s ORDER BY position DESC LIMIT 101"


@pytest.fixture
def busy_log(demo, services, database):
    services.runner.catch_up()
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        connection.execute(_FILL)
        connection.execute("VACUUM ANALYZE postback_log")
        yield connection


def _plan(connection: psycopg.Connection, statement: str, *params) -> str:
    return "\n".join(row[0] for row in connection.execute(f"EXPLAIN {statement}", params))


@pytest.mark.parametrize(
    ("column", "value", "index"),
    [
        ("outcome", "rejected", "postback_log_unusual"),
        ("site", "9", "postback_log_site_position"),
        ("exto", "x1000050", "postback_log_exto_given"),
        ("click", "c1000001", "postback_log_click"),
    ],
    ids=["a rare outcome", "a rare site", "an exto", "a click"],
)
def test_a_filter_of_the_support_search_is_read_through_an_index(busy_log, column, value, index):
    plan = _plan(busy_log, _PAGE.format(column), value)

    assert index in plan
    assert "Seq Scan" not in plan


def test_a_period_of_an_export_is_read_through_the_range_index(busy_log):
    plan = _plan(
        busy_log,
        "SELECT * FROM postback_log WHERE received_at >= now() - interval '2 hours'"
        " AND received_at < now() - interval '1 hour' ORDER BY position",
    )

    assert "postback_log_received_at_range" in plan


def _indexes(connection: psycopg.Connection, schema: str) -> set[str]:
    rows = connection.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = 'postback_log'",
        (schema,),
    )
    return {row[0] for row in rows}


def test_a_log_made_before_the_change_loses_the_retired_indexes_and_only_its_own(database):
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        cursor = connection.cursor()
        PostbackLogProjection().create_tables(cursor)
        for column in ("received_at", "exto", "outcome", "error", "site"):
            cursor.execute(f"CREATE INDEX postback_log_{column} ON postback_log ({column})")
        cursor.execute("CREATE SCHEMA rebuilt")
        with connection.transaction():  # as a rebuild does: its schema first, the live one next
            cursor.execute(sql.SQL("SET LOCAL search_path TO rebuilt, public"))
            PostbackLogProjection().create_tables(cursor)
        live_before = _indexes(connection, "public")

        PostbackLogProjection().create_tables(cursor)

        assert "postback_log_outcome" in live_before  # the rebuild left the live ones alone
        assert "postback_log_outcome" not in _indexes(connection, "public")
        assert _indexes(connection, "public") == _indexes(connection, "rebuilt")
