"""Reading pages of the notification log as domain events, at a fraction of the library's cost.

Profiles of the projection runner and of rebuilds showed much of their CPU spent before any
projection logic: eventsourcing's `select_notifications` builds a dict row and a frozen
`Notification` per event, and its mapper decodes the state with stdlib `json` calling a Python
object hook for every JSON object. Here one query returns plain tuples, and `EventDecoder`
(projections.eventlog.decoding) builds the same events as the library's mapper, with the library
as the fallback for anything unusual."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.utils import retry
from psycopg import sql
from psycopg.rows import tuple_row

from projections.eventlog.decoding import EventDecoder, Row
from projections.eventlog.store import EventStore


class LogReader:
    """Pages of the notification log as (notification id, domain event) pairs.

    `read(start, limit, stop, topics)` selects what the library's
    `select_notifications(start, limit, stop, topics, inclusive_of_start=False)` selects;
    `skip_topics` leaves out events of those topics (a reader that never looks at them).
    """

    def __init__(self, app: EventStore) -> None:
        self._datastore = app.recorder.datastore
        self._table = sql.Identifier(self._datastore.schema, app.events_table)
        self.decoder = EventDecoder(app.mapper)

    def read(
        self,
        start: int,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        skip_topics: Sequence[str] = (),
    ) -> list[tuple[int, Any]]:
        return self.decoder.decode(self.rows(start, limit, stop, topics, skip_topics))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def end(self) -> int:
        """The last position of the log (0 when empty). Positions are given out in commit order
        (the append takes the table's EXCLUSIVE lock), so everything up to it is readable."""
        statement = sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(self._table)
        with (
            self._datastore.get_connection() as connection,
            connection.cursor(row_factory=tuple_row) as cursor,
        ):
            return cursor.execute(statement).fetchone()[0]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def rows(
        self,
        start: int,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        skip_topics: Sequence[str] = (),
    ) -> list[Row]:
        conditions = [sql.SQL("notification_id > %s")]
        params: list[Any] = [start]
        if stop is not None:
            conditions.append(sql.SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(sql.SQL("topic = ANY(%s)"))
            params.append(list(topics))
        if skip_topics:
            conditions.append(sql.SQL("topic <> ALL(%s)"))
            params.append(list(skip_topics))
        params.append(limit)
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE {} ORDER BY notification_id LIMIT %s"
        ).format(self._table, sql.SQL(" AND ").join(conditions))
        with (
            self._datastore.get_connection() as connection,
            connection.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement, params, prepare=True, binary=True)
            return cursor.fetchall()
