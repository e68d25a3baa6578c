"""How events are appended to `ledger_events`: eventsourcing's recorder, minus pipeline mode.

eventsourcing 9.5.6 appends in psycopg pipeline mode (LOCK TABLE, NOTIFY and the INSERT sent
together). With a large batch, as group commit makes, that exchange was seen to hang for good
here: the client waits for results while the server waits for the rest of the request (the
pipeline deadlock of psycopg issue #685, still reproducible with psycopg 3.3.9 and libpq 18 at
~1,500 events in one save). A hung append would stop every postback, so this recorder sends the
same statements one after another in one ordinary transaction. The guarantees are the library's:
the EXCLUSIVE table lock makes insert order equal commit order, so a reader of the notification
log never passes a gap that fills in later, and NOTIFY wakes the projection runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry


class LedgerRecorder(PostgresApplicationRecorder):
    """Appends a batch of stored events in one transaction, without pipeline mode."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        if not stored_events:
            return []
        with self.datastore.transaction(commit=True) as cursor:
            self._lock_table(cursor)
            self._notify_channel(cursor)
            rows = [
                self.construct_pg_stored_event(
                    event.originator_id, event.originator_version, event.topic, event.state
                )
                for event in stored_events
            ]
            cursor.execute(self.insert_events_statement, (rows,), prepare=True)
            return [row["notification_id"] for row in cursor.fetchall()]
