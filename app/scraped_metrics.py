"""Figures for `/metrics` read from the database when a scrape asks for them.

The processes that do the work (the notifier's sender, the holds follower) are not the HTTP
workers that answer scrapes: read from the tables, a figure is the same whichever process
answers. A scrape answers even when the database does not: the figures are then left out.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class ScrapedFromDatabase:
    """A Prometheus collector: `read(cursor)` the figures, then `families(figures)` them."""

    name = "database"  # what the debug line names when the database did not answer

    def __init__(self, services_of) -> None:
        self._services_of = services_of

    def describe(self):
        return []

    def collect(self):
        try:
            ledger = self._services_of().ledger
            with ledger.recorder.datastore.transaction(commit=False) as cursor:
                figures = self.read(cursor)
        except Exception as error:  # a scrape must answer even when the database does not
            log.debug("%s metrics without the database: %s", self.name, error)
            return []
        return self.families(figures)

    def read(self, cursor) -> dict[str, Any]:
        raise NotImplementedError

    def families(self, figures: dict[str, Any]) -> list:
        raise NotImplementedError
