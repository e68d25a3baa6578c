"""Clicks whose visitor was sent on while the database was down, recorded once it is back.

A visitor following a tracking link should reach the landing page even when our database is
down: the advertiser's page does not need it. The click id in the landing URL is then not yet
stored; it is kept here and recorded by the next click served with the database up. A click's
aggregate id derives from its id (`Click.create_id`), so a click recorded twice collides in the
store instead of being duplicated. Kept in memory only: a process that ends while the database is
down loses its deferred clicks (a warning lists how many), and a postback naming such a click
is refused as `unknown_click` and recorded with that reason, like any other.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from app.eventstore.application import DatabaseUnavailable
from projections.eventlog.store import DATABASE_DOWN_ERRORS

log = logging.getLogger(__name__)

MAX_DEFERRED = 10_000  # about an hour of a busy link's visitors; beyond, visitors still go on


class DeferredClicks:
    """A bounded queue of clicks to record; thread-safe."""

    def __init__(self, ledger) -> None:
        self._ledger = ledger
        self._pending: deque[dict] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, **click) -> None:
        with self._lock:
            if len(self._pending) >= MAX_DEFERRED:
                log.warning("deferred clicks full; click %s is not recorded", click["click"])
                return
            self._pending.append(click)

    def record(self) -> int:
        """Record what waits, oldest first; stop (keeping the rest) if the database fails."""
        recorded = 0
        while True:
            with self._lock:
                if not self._pending:
                    return recorded
                click = self._pending.popleft()
            try:
                self._ledger.record_click(**click)
            except (*DATABASE_DOWN_ERRORS, DatabaseUnavailable):
                with self._lock:
                    self._pending.appendleft(click)
                return recorded
            recorded += 1

    def close(self) -> None:
        if self._pending:
            log.warning("%d clicks sent on while the database was down are lost", len(self))
