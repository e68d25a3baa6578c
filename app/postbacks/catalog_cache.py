"""The catalog as the postback path sees it: an in-memory snapshot, reloaded when it changes.

Every postback needs the catalog (tokens, flows, goals, rates); reading it from the event store
each time would cost more than the postback itself. The snapshot is reloaded when the catalog
aggregate's version moves: checked now and then, and at once before refusing a postback for
something the catalog may just have learnt (another process may have applied a new file).
"""

from __future__ import annotations

import threading
import time

from app.eventstore.application import LedgerApplication
from domain.catalog_view import CatalogView


class CatalogCache:
    """Holds the current `CatalogView`; thread-safe, cheap to read."""

    def __init__(self, app: LedgerApplication, max_age_seconds: float = 2.0) -> None:
        self._app = app
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        self._view: CatalogView | None = None
        self._checked_at = 0.0

    def current(self) -> CatalogView:
        view = self._view
        if view is None or time.monotonic() - self._checked_at > self._max_age:
            return self.refresh()
        return view

    def cached(self) -> CatalogView | None:
        """The snapshot in hand, without touching the database; None before the first load."""
        return self._view

    def refresh(self, min_interval: float = 0.0) -> CatalogView:
        """Reload if the stored catalog is newer; at most once per `min_interval` seconds."""
        with self._lock:
            if self._view is not None and time.monotonic() - self._checked_at < min_interval:
                return self._view
            if self._view is None or self._app.catalog_version() != self._view.version:
                self._view = self._app.catalog_view()
            self._checked_at = time.monotonic()
            return self._view

    def replace(self, view: CatalogView) -> None:
        with self._lock:
            self._view = view
            self._checked_at = time.monotonic()
