"""Seen request signatures, in PostgreSQL so that every server process refuses a replay.

A signature is remembered for as long as its timestamp could still be accepted (twice the
window, to cover clock skew both ways); older ones are purged now and then, since the timestamp
check alone refuses them.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from app.eventstore.application import LedgerApplication
from app.eventstore.database import take_schema_turn
from domain.signatures import WINDOW_SECONDS

TABLE = "seen_signatures"
_PURGE_EVERY_SECONDS = 60.0


class ReplayStore:
    """`first_use(signature)` is True once per signature, across all processes."""

    def __init__(self, ledger: LedgerApplication) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()
        self._table_ready = False
        self._purged_at = 0.0

    def first_use(self, signature: str) -> bool:
        self._ensure_table()
        keep = timedelta(seconds=2 * WINDOW_SECONDS)
        with self._ledger.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (signature, expires_at) VALUES (%s, now() + %s) "
                "ON CONFLICT (signature) DO NOTHING",
                (signature, keep),
            )
            first = cursor.rowcount == 1
            if time.monotonic() - self._purged_at > _PURGE_EVERY_SECONDS:
                self._purged_at = time.monotonic()
                cursor.execute(f"DELETE FROM {TABLE} WHERE expires_at < now()")
        return first

    def _ensure_table(self) -> None:
        with self._lock:
            if self._table_ready:
                return
            # Workers meet their first signed postbacks at the same moment: two sessions
            # running this DDL at once fail with a duplicate key or "type already exists"
            # (seen as a 500), so creators take turns on a transaction-level lock.
            with self._ledger.recorder.datastore.transaction(commit=True) as cursor:
                take_schema_turn(cursor)
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                    "signature text PRIMARY KEY, expires_at timestamptz NOT NULL)"
                )
            self._table_ready = True
