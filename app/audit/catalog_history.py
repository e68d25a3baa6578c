"""The catalog as it stood at any moment, rebuilt from its own events.

The catalog is event-sourced, so "which rates were in force on the 3rd, as we knew them then"
has an exact answer: replay the catalog aggregate up to the last event before that moment.
Views are cached per catalog version, because a history asks for the same few moments often.
"""

from __future__ import annotations

import bisect
from datetime import datetime

from app.eventstore.application import LedgerApplication
from domain.catalog import Catalog
from domain.catalog_view import CatalogView


class CatalogHistory:
    """`at(moment)` is the CatalogView the service held at that moment."""

    def __init__(self, app: LedgerApplication) -> None:
        self._app = app
        events = list(app.events.get(Catalog.create_id()))
        self._times = [event.timestamp for event in events]
        self._versions = [event.originator_version for event in events]
        self._views: dict[int, CatalogView] = {}

    def version_at(self, moment: datetime) -> int:
        index = bisect.bisect_right(self._times, moment)
        return self._versions[index - 1] if index else 0

    def at(self, moment: datetime) -> CatalogView:
        version = self.version_at(moment)
        if version not in self._views:
            self._views[version] = self._view_of(version)
        return self._views[version]

    def _view_of(self, version: int) -> CatalogView:
        if version == 0:
            return CatalogView.empty()
        catalog = self._app.repository.get(Catalog.create_id(), version=version)
        return catalog.view()
