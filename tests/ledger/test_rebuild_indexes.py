"""The deferred indexes of a rebuild, built on two connections at once."""

from __future__ import annotations

import _thread
import threading

import psycopg
import pytest

from projections.rebuild.indexes import build_indexes


def _definitions(count: int, broken_at: int | None = None) -> list[str]:
    return [
        f"CREATE INDEX i{n} ON built.t ({'missing' if n == broken_at else 'a'})"
        for n in range(count)
    ]


def _indexes(connection: psycopg.Connection) -> set[str]:
    rows = connection.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'built'")
    return {name for (name,) in rows.fetchall()}


def _builds_running(connection: psycopg.Connection) -> int:
    running = connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'CREATE INDEX%%' AND state = 'active'"
    )
    return running.fetchone()[0]


@pytest.fixture
def connection(database):
    with psycopg.connect(database.conninfo(), autocommit=True) as opened:
        opened.execute("CREATE SCHEMA built")
        opened.execute("CREATE TABLE built.t AS SELECT generate_series(1, 10000) AS a")
        yield opened


def test_every_deferred_index_is_built_across_the_two_connections(database, connection):
    build_indexes(connection, lambda: psycopg.connect(database.conninfo()), _definitions(5))

    assert _indexes(connection) == {f"i{n}" for n in range(5)}


@pytest.mark.parametrize("broken_at", [0, 1, 4])
def test_a_build_that_fails_on_either_connection_fails_the_rebuild(database, connection, broken_at):
    with pytest.raises(psycopg.errors.UndefinedColumn):
        build_indexes(
            connection, lambda: psycopg.connect(database.conninfo()), _definitions(5, broken_at)
        )

    assert _builds_running(connection) == 0
    assert f"i{broken_at}" not in _indexes(connection)


@pytest.mark.parametrize("builds", [1, 2])  # with one, a side may wait for the other to end
def test_ctrl_c_during_the_builds_cancels_both_connections(database, connection, builds):
    connection.execute("CREATE TABLE built.u AS SELECT 1 AS a")
    definitions = ["CREATE INDEX i0 ON built.t (a)", "CREATE INDEX i1 ON built.u (a)"][:builds]
    with psycopg.connect(database.conninfo()) as holder:  # both builds wait on its locks
        holder.execute("LOCK TABLE built.t, built.u IN ACCESS EXCLUSIVE MODE")
        threading.Timer(0.5, _thread.interrupt_main).start()

        with pytest.raises(KeyboardInterrupt):
            build_indexes(connection, lambda: psycopg.connect(database.conninfo()), definitions)

        assert _builds_running(connection) == 0
