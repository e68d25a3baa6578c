"""A served node's database connections: two nodes of two HTTP workers each, with their four
followers, fit in PostgreSQL's default `max_connections` of 100.

Each follower once opened LEDGER_POOL_SIZE (10) pooled connections eagerly, as an HTTP worker
does: one node took 70, and the second node of a pair failed to start with "couldn't get a
connection" (tests/holds/test_serve.py met it in CI)."""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.servers import running_server

pytestmark = pytest.mark.slow

# Two nodes, a test's own connections and PostgreSQL's reserved three stay under 100.
NODE_BUDGET = 45
SETTLE_SECONDS = 4.0  # the followers open their pools and locks just after the node serves


def connections_to(database) -> dict[str, int]:
    """application_name -> connections to `database` now."""
    with psycopg.connect(database.with_dbname("postgres").conninfo(), autocommit=True) as db:
        rows = db.execute(
            "SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = %s"
            " GROUP BY application_name",
            (database.dbname,),
        ).fetchall()
    return dict(rows)


def test_a_node_of_two_workers_and_its_followers_keeps_within_its_connection_budget(
    database, tmp_path
):
    with running_server(database, tmp_path / "node", workers=2) as node, node.client() as http:
        assert http.get("/health/ready").status_code == 200
        deadline = time.monotonic() + SETTLE_SECONDS
        most, names = 0, set()
        while time.monotonic() < deadline:
            held = connections_to(database)
            most, names = max(most, sum(held.values())), names | set(held)
            time.sleep(0.2)
    assert most <= NODE_BUDGET, f"one node holds {most} connections"
    # The node is really there, and an operator can tell who holds what in pg_stat_activity.
    assert {
        "postback-ledger serve",
        "postback-ledger projections",
        "postback-ledger notifier",
        "postback-ledger sender",
        "postback-ledger holds",
    } <= names, names


def test_a_command_called_in_process_leaves_its_callers_environment_alone(monkeypatch):
    """Only a process that is the command names its connections: `main([...])` called by a
    test or a tool must not rename the caller's (and every server it starts later)."""
    import os

    from app.cli.main import main

    monkeypatch.delenv("PGAPPNAME", raising=False)
    assert main([]) == 2  # no command: the usage, after everything a command does first
    assert "PGAPPNAME" not in os.environ
