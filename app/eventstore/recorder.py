"""How events are appended to `ledger_events`: eventsourcing's recorder, made fit for big batches.

Two changes to eventsourcing 9.5.6's `PostgresApplicationRecorder.insert_events`, same SQL
guarantees:

- No psycopg pipeline mode. The library sends LOCK TABLE, NOTIFY and the INSERT pipelined; with a
  large batch, as group commit makes, that exchange was seen to hang for good here (the client
  waits for results while the server waits for the rest of the request: psycopg issue #685,
  reproducible with psycopg 3.3.9 and libpq 18 at ~1,500 events in one save). A hung append
  would stop every postback, so the statements go one after another in one transaction.
- The rows travel as four arrays in binary format (`unnest(uuid[], bigint[], text[], bytea[])`)
  instead of an array of a composite type in text format, whose escaping cost ~80 µs of Python
  per event.
- Three round trips instead of six: BEGIN, the lock timeout, LOCK TABLE and NOTIFY go as one
  simple query, then the INSERT, then COMMIT. Every round trip of the single writer thread is a
  wait for the database and for the GIL; on a busy machine each one costs milliseconds.

The EXCLUSIVE table lock stays: insert order equals commit order, so a reader of the
notification log never passes a gap that fills in later; NOTIFY wakes the projection runner.

`catalog_version`: the events were decided with that version of the catalog. The INSERT then
inserts only if the catalog aggregate is still at that version, read under the table lock that
every catalog apply takes too: a postback saved after an apply committed was decided by the
applied catalog, in every process, with no extra round trip. Otherwise nothing is inserted and
`CatalogMoved` tells the caller to decide again with the new catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.pq import TransactionStatus
from psycopg.sql import SQL, Identifier


class CatalogMoved(Exception):
    """The catalog changed after the events were decided with it: nothing was saved."""


_CATALOG_GUARD = (
    " WHERE (SELECT coalesce(max(originator_version), 0) FROM {schema}.{table}"
    " WHERE originator_id = %b::uuid) = %b::bigint"
)


class LedgerRecorder(PostgresApplicationRecorder):
    """Appends a batch of stored events in one transaction, without pipeline mode."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        insert = (
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])"
        )
        names = {"schema": Identifier(datastore.schema), "table": Identifier(events_table_name)}
        returning = " RETURNING notification_id"
        self._insert_arrays = SQL(insert + returning).format(**names)
        guarded = SQL(insert + _CATALOG_GUARD + returning).format(**names)
        self._insert_guarded = guarded.as_bytes(None)
        notify = SQL("NOTIFY {0}").format(Identifier(self.channel_name))
        self._begin_locked = SQL("; ").join([SQL("BEGIN"), *self.lock_table_statements, notify])
        # Rendered once: psycopg renders a composed statement again on every execute, which
        # was about a tenth of the writer thread's time.
        self._insert_arrays = self._insert_arrays.as_bytes(None)
        self._begin_locked = self._begin_locked.as_bytes(None)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        catalog_version: tuple[UUID, int] | None = None,
        **kwargs: Any,
    ) -> Sequence[int]:
        """`catalog_version`: (catalog id, version) the events were decided with, or None."""
        if not stored_events:
            return []
        columns: tuple = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        statement = self._insert_arrays
        if catalog_version is not None:
            statement, columns = self._insert_guarded, (*columns, *catalog_version)
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            try:
                cursor.execute(self._begin_locked)
                cursor.execute(statement, columns, prepare=True, binary=True)
                positions = [row["notification_id"] for row in cursor.fetchall()]
                if len(positions) != len(stored_events):
                    raise CatalogMoved(f"the catalog is no longer at version {catalog_version}")
                cursor.execute("COMMIT")
            except BaseException:
                if connection.info.transaction_status != TransactionStatus.IDLE:
                    connection.execute("ROLLBACK")
                raise
        return positions
