"""eventsourcing's PostgreSQL persistence, made to follow a primary that moves (failover).

eventsourcing 9.5.6 builds its connection pool from host, port, dbname, user and password only;
libpq's `target_session_attrs` (nor sslmode, keepalives, ...) cannot be given through its
environment. With several hosts in `DATABASE_URL` (a primary and its standbys) a pool without it
would connect to whichever host answers first, standby included, and every append there fails as
read-only. This factory adds `POSTGRES_LIBPQ_OPTIONS` (`DatabaseAddress.libpq_options`) to the
pool's connection parameters before the pool opens, so every new pooled connection goes to the
host that accepts writes, in every process that opens the event store (HTTP workers, read
models, notifier, any other follower): the mechanism is here, in the one place all of them pass
through, not in each follower.

After a failover the connections to the lost primary are dead; whoever notices (the writer's
breaker probe, a follower's retry) calls `pool.check()`, which replaces them. `check()` tests a
connection with an empty statement, which a server that is up but no longer primary (an old
primary restarted as a standby) would pass; here it also asks `pg_is_in_recovery()`, so such a
connection is dropped and replaced by one to the new primary.
"""

from __future__ import annotations

import logging

import psycopg
from eventsourcing.postgres import PostgresFactory
from psycopg.conninfo import conninfo_to_dict

log = logging.getLogger(__name__)

LIBPQ_OPTIONS = "POSTGRES_LIBPQ_OPTIONS"


class LedgerPostgresFactory(PostgresFactory):
    """`PostgresFactory` whose pool connects with `POSTGRES_LIBPQ_OPTIONS` too."""

    def __init__(self, env) -> None:
        super().__init__(env)
        options = conninfo_to_dict(self.env.get(LIBPQ_OPTIONS) or "")
        pool = self.datastore.pool
        pool.kwargs.update(options)  # read at each connect; the pool is not opened yet
        if options.get("target_session_attrs") in ("read-write", "primary"):
            pool.check_connection = connection_to_primary  # type: ignore[method-assign]


def connection_to_primary(connection: psycopg.Connection) -> None:
    """Raise (so the pool drops it) unless the connection works and its server is a primary."""
    autocommit = connection.autocommit
    try:
        connection.autocommit = True
        row = connection.execute("SELECT pg_is_in_recovery() AS standby").fetchone()
    finally:
        if not connection.closed:
            connection.autocommit = autocommit
    standby = row["standby"] if isinstance(row, dict) else row[0]
    if standby:
        log.warning("a pooled connection leads to a standby now; replacing it")
        connection.close()
        raise psycopg.OperationalError("the server of this connection is a standby now")
