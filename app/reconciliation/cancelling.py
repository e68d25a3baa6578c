"""Stopping a running reconciliation when its client goes away.

The upload route watches the connection while a worker thread reconciles; when the client
disconnects it calls `Cancel.trigger`: the thread stops at its next chunk, and the statement
PostgreSQL is running at that moment is cancelled at once (`psycopg.Connection.cancel`, which
may be called from another thread). The transaction then rolls back: nothing of the upload is
kept. A cancelled query is a `Cancelled` here, never the "database unavailable" 503.
"""

from __future__ import annotations

import threading

import psycopg


class Cancelled(Exception):
    """The reconciliation was stopped before it was stored (by its client, or PostgreSQL)."""


class Cancel:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: psycopg.Connection | None = None
        self.triggered = False

    def watch(self, connection: psycopg.Connection) -> None:
        """The connection whose running statement `trigger` cancels."""
        with self._lock:
            self._connection = connection
            if self.triggered:
                connection.cancel()

    def trigger(self) -> None:
        with self._lock:
            self.triggered = True
            if self._connection is not None:
                self._connection.cancel()

    def check(self) -> None:
        if self.triggered:
            raise Cancelled("the client went away; the reconciliation was stopped")
