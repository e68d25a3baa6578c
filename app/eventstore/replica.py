"""`LEDGER_READ_URL`: support and admin reads from a streaming replica, never postback handling.

Support staff's and auditors' reads (lead history, the postback log, exports, as-of answers,
balances and entries) can be heavy and are not in a hurry; served by a replica they leave the
primary's CPU and I/O to the postbacks. Postback handling (the writer, its look-ups, idempotency)
never comes here: it keeps using the event store's own pool on the primary, so a replica that is
behind can never make a repeated postback look new.

A replica is behind by its replay lag. A read that names `after=<position>` (the position a
write was answered with) must see that write: `read_transaction` waits up to
`REPLICA_WAIT_SECONDS` for the replica's copy of the read model's tracking position to reach it,
then reads the primary instead (waiting there as a read without a replica does). A replica that
does not answer is left alone for `REPLICA_RETRY_SECONDS` and every read goes to the primary.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from types import SimpleNamespace

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from app.eventstore.database import DatabaseAddress
from projections.runner import tracked_positions, wait_for_position

log = logging.getLogger(__name__)

REPLICA_WAIT_SECONDS = 1.0  # how long a read with after= waits for the replica
REPLICA_RETRY_SECONDS = 5.0  # after the replica failed, how long reads skip it
_POLL_SECONDS = 0.02


class ReadReplica:
    """A small pool on the replica, and whether a read may be served from it."""

    def __init__(self, address: DatabaseAddress, pool_size: int = 4) -> None:
        self._pool = ConnectionPool(
            address.conninfo(),
            kwargs={"row_factory": dict_row, "autocommit": True, "connect_timeout": 2},
            min_size=1,
            max_size=pool_size,
            open=False,
            timeout=1.0,
            name="read-replica",
        )
        self._opened = threading.Lock()
        self._skip_until = 0.0
        self.reads = 0  # served by the replica (for tests and metrics)
        self.fallbacks = 0  # sent to the primary although a replica is configured

    @classmethod
    def open(cls, read_url: str | None) -> ReadReplica | None:
        """The replica `LEDGER_READ_URL` names, or None without one (connects at first read)."""
        return cls(DatabaseAddress.from_url(read_url)) if read_url else None

    def reached(self, projection: str | None, after: int) -> bool:
        """The replica answers and (with `after`) its `projection` has processed `after`."""
        if time.monotonic() < self._skip_until:
            return False
        deadline = time.monotonic() + REPLICA_WAIT_SECONDS
        while True:
            try:
                position = self._position(projection) if projection and after else after
            except (psycopg.Error, PoolTimeout) as error:
                log.warning("read replica unavailable, reading the primary: %s", error)
                self._skip_until = time.monotonic() + REPLICA_RETRY_SECONDS
                return False
            if position >= after:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor]:
        """A read-only transaction on the replica; dict rows, as the event store's cursors."""
        try:
            with (
                self.get_connection() as connection,
                connection.transaction(),
                connection.cursor() as cursor,
            ):
                yield cursor
        except (psycopg.OperationalError, PoolTimeout):
            self._skip_until = time.monotonic() + REPLICA_RETRY_SECONDS  # next reads: the primary
            raise

    def close(self) -> None:
        self._pool.close()

    def _position(self, projection: str) -> int:
        with self.get_connection() as connection:
            return tracked_positions(connection.cursor(), [projection])[projection]

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection to the replica (autocommit, dict rows)."""
        with self._opened:
            if self._pool.closed:
                self._pool.open(wait=False)
        with self._pool.connection() as connection:
            yield connection


class ReplicaView:
    """The event store as an export reads it: the replica's connections, the app for the rest.

    Exports stream read models and events through `app.recorder.datastore.get_connection()`;
    everything else (the mapper, the catalog's history) comes from the application itself.
    """

    def __init__(self, ledger, replica: ReadReplica) -> None:
        self._ledger = ledger
        self.recorder = SimpleNamespace(datastore=replica)

    def __getattr__(self, name: str):
        return getattr(self._ledger, name)


def export_store(services):
    """What an export reads: the replica when one is configured and answers, else the primary."""
    replica: ReadReplica | None = getattr(services, "replica", None)
    if replica is not None and replica.reached(None, 0):
        replica.reads += 1
        return ReplicaView(services.ledger, replica)
    return services.ledger


def read_transaction(
    services, projection: str | None = None, after: int = 0
) -> AbstractContextManager[psycopg.Cursor]:
    """A read-only cursor for a support or admin read: on the replica when it has `after`.

    `projection`: the read model the answer comes from, whose position `after` names. Without a
    replica, or when it is behind or down, the primary, once `projection` has reached `after`
    there (bounded by `projection_wait_seconds`, as before replicas).
    """
    replica: ReadReplica | None = getattr(services, "replica", None)
    if replica is not None:
        if replica.reached(projection, after):
            replica.reads += 1
            return replica.transaction()
        replica.fallbacks += 1
    if projection and after:
        wait = services.settings.projection_wait_seconds
        wait_for_position(services.ledger, projection, after, wait)
    return services.ledger.recorder.datastore.transaction(commit=False)
