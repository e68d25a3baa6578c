"""What the projections need of the event store, as protocols: `projections` never imports `app`.

The application (`app.eventstore.application.LedgerApplication`) and the database address
(`app.eventstore.database.DatabaseAddress`) satisfy these; whoever builds a runner or a rebuild
hands them in. Keeping the need this narrow is what lets the read models run in a process of
their own, or on another node, with nothing of the HTTP edge loaded.
"""

from __future__ import annotations

from typing import Any, Protocol

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError, Mapper, OperationalError

from domain.catalog_view import CatalogView

# What the database being down or unreachable looks like, through the library or psycopg.
DATABASE_DOWN_ERRORS: tuple[type[BaseException], ...] = (
    InterfaceError,
    OperationalError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg_pool.PoolTimeout,
)


class EventStore(Protocol):
    """The eventsourcing application whose `ledger_events` table the projections follow."""

    recorder: Any  # a PostgresApplicationRecorder: its `datastore` gives pooled transactions
    mapper: Mapper
    events_table: str

    def catalog_view(self) -> CatalogView: ...


class ServerAddress(Protocol):
    """Where to open a connection of one's own (a lock or LISTEN outside the pool)."""

    def conninfo(self) -> str: ...
