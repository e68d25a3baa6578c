"""The A of the bench's A/B (`scripts/bench --ab-ref`) runs in a database of its own.

Sharing B's database, A's code left read-model rows and tracking that B's code, with another
schema, tripped over (a duplicate key in lead_view's COPY): the A/B no longer completed (issue 27).
"""

from __future__ import annotations

import psycopg

from scripts.benchmark import ab
from scripts.benchmark.environment import Database
from scripts.benchmark.seed import seed


def test_the_a_of_an_ab_gets_the_seeded_events_in_a_database_of_its_own_on_the_same_server(
    database, tmp_path
):
    seed(database, tmp_path, leads=2, fresh_per_run=3, runs=1)
    b = Database(database, folder=tmp_path)  # as the embedded server's: a folder it owns
    a = ab.database(b)
    try:
        assert (a.address.host, a.address.port) == (database.host, database.port)
        assert a.address.dbname != database.dbname
        assert _events(a) == _events(b) > 0
        _make_lead_view(a, "made by A's code")
        assert _lead_views(b) is None
        _make_lead_view(b, "made by B's code")
        assert _lead_views(a) == ["made by A's code"]
    finally:
        a.close()
    assert not _exists(database, a.address.dbname)
    assert _lead_views(b) == ["made by B's code"]
    assert tmp_path.exists()  # dropping the A's database leaves the server and its folder


def _events(database: Database) -> int:
    with psycopg.connect(database.address.conninfo()) as connection:
        return connection.execute("SELECT count(*) FROM ledger_events").fetchone()[0]


def _make_lead_view(database: Database, note: str) -> None:
    with psycopg.connect(database.address.conninfo(), autocommit=True) as connection:
        connection.execute("CREATE TABLE lead_view (note text PRIMARY KEY)")
        connection.execute("INSERT INTO lead_view VALUES (%s)", (note,))


def _lead_views(database: Database) -> list[str] | None:
    with psycopg.connect(database.address.conninfo()) as connection:
        if connection.execute("SELECT to_regclass('lead_view')").fetchone()[0] is None:
            return None
        return [row[0] for row in connection.execute("SELECT note FROM lead_view")]


def _exists(address, name: str) -> bool:
    with psycopg.connect(address.conninfo()) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None
