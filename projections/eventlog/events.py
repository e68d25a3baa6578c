"""Reading events straight from the event store, with their positions, for audit questions.

Read models answer "what is it now"; disputes ask "what was it then, and what did each step do",
which only the events can answer. These helpers read the `ledger_events` rows of a few
aggregates (or of everything, in order) and map them back to domain events, keeping the
notification id: the position that ledger entries and the audit chain refer to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from projections.eventlog.store import EventStore


@dataclass(frozen=True)
class PositionedEvent:
    """A domain event and the position (notification id) it was stored at."""

    position: int
    event: Any

    @property
    def timestamp(self) -> datetime:
        return self.event.timestamp


def events_of(
    app: EventStore, cursor: psycopg.Cursor, aggregate_ids: Iterable[UUID]
) -> dict[UUID, list[PositionedEvent]]:
    """Every event of the given aggregates, in version order, keyed by aggregate id."""
    ids = list(aggregate_ids)
    found: dict[UUID, list[PositionedEvent]] = {aggregate_id: [] for aggregate_id in ids}
    rows = cursor.execute(
        sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(sql.Identifier(app.events_table)),
        (ids,),
    )
    for row in rows:
        found[row["originator_id"]].append(to_positioned(app, row))
    return found


def to_positioned(app: EventStore, row: dict) -> PositionedEvent:
    stored = StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )
    return PositionedEvent(row["notification_id"], app.mapper.to_domain_event(stored))


def until(events: Iterable[PositionedEvent], moment: datetime | None) -> list[PositionedEvent]:
    """The events that had happened by `moment` (all of them when it is None)."""
    return [e for e in events if moment is None or e.timestamp <= moment]


def table_exists(cursor: psycopg.Cursor, table: str) -> bool:
    """Whether a read model's table is there (the ledger tables come from another projection)."""
    row = cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (table,)).fetchone()
    return bool(row["present"])


def stream_rows(
    connection: psycopg.Connection, statement: sql.Composable, params: Iterable = (), batch=2000
) -> Iterator[dict]:
    """Rows of a query through a server-side cursor, so a month of data never sits in memory."""
    with connection.transaction(), connection.cursor(name="audit_stream") as cursor:
        cursor.itersize = batch
        cursor.execute(statement, list(params))
        yield from cursor
