"""`LEDGER_REQUIRE_SYNC_STANDBY=1`: serve only while a synchronous standby holds every commit.

A postback is answered 200 once its events are committed. With `synchronous_standby_names` set
and `synchronous_commit` at `on`, `remote_write` or `remote_apply`, that commit returns only once a
standby has the WAL too, so losing the primary's machine loses no acknowledged postback (the
failover test in `tests/faults/test_failover.py` counts them). Without a standby in sync state
PostgreSQL quietly commits on the primary alone (or, with `synchronous_standby_names` naming a
standby that is gone, waits for it forever). An operator who promises "nothing acknowledged is
lost" sets this, and then `serve` refuses to start and `/health/ready` answers 503 while the
primary reports no synchronous standby, so the balancer and the on-call person hear of it.

The session's `synchronous_commit` is read on the service's own connection, so a per-role or
per-database override is seen as the service lives under it. `pg_stat_replication` shows
`sync_state` only to superusers and members of `pg_monitor`: grant that role to the service's.
"""

from __future__ import annotations

import psycopg

from app.eventstore.database import DatabaseAddress

_STATE = """
SELECT current_setting('synchronous_commit') AS commit_mode,
       (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))
         AS standbys
"""
_WAITS_FOR_STANDBY = ("on", "remote_write", "remote_apply")


def sync_standby_problem(cursor: psycopg.Cursor) -> str | None:
    """Why a commit would not wait for a synchronous standby now, or None when it would."""
    found = cursor.execute(_STATE).fetchone()
    if found is None:
        return "the primary's replication state cannot be read"
    names = [column.name for column in cursor.description or ()]
    row = found if isinstance(found, dict) else dict(zip(names, found, strict=True))
    if row["standbys"] == 0:
        return (
            "the primary reports no synchronous standby (pg_stat_replication.sync_state; "
            "the service's role needs pg_monitor to see it)"
        )
    if row["commit_mode"] not in _WAITS_FOR_STANDBY:
        return f"synchronous_commit is {row['commit_mode']}: commits do not wait for the standby"
    return None


def check_before_serving(address: DatabaseAddress) -> str | None:
    """The problem `serve` refuses to start on, in one line (None: a standby is in sync)."""
    with psycopg.connect(address.conninfo(), autocommit=True, connect_timeout=10) as connection:
        return sync_standby_problem(connection.cursor())
