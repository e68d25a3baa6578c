"""A full replay of the notification log into fresh copies of every projection's tables.

Stands in for `postback-ledger projections rebuild all` where that command does not exist: the
same `ProjectionRunner` the server uses, reading pages of the log and committing each page into
tables named `rebuild_*`, tracked under their own names so the live projections are untouched.
"""

from __future__ import annotations

import argparse

from app.postbacks.catalog_cache import CatalogCache
from app.services import Services, _refresh_on_catalog
from app.settings import Settings
from projections.lead_view.projection import LeadViewProjection
from projections.postback_log.projection import PostbackLogProjection
from projections.runner import ProjectionRunner


class Renamed:
    """A projection writing to its `rebuild_` tables, tracked under a name of its own."""

    def __init__(self, projection) -> None:
        self._projection = projection
        self.name = f"rebuild_{projection.name}"

    def create_tables(self, cursor) -> None:
        self._projection.create_tables(cursor)

    def process(self, cursor, events) -> None:
        self._projection.process(cursor, events)


def main() -> None:
    argparse.ArgumentParser(
        description="Replay the log at DATABASE_URL (or the embedded database) into `rebuild_*`"
        " tables, for a ref without `projections rebuild`; `benchmark.rebuild` runs it."
    ).parse_args()
    services = Services.open(Settings.from_env())
    try:
        catalog = CatalogCache(services.ledger)
        projections = [
            Renamed(LeadViewProjection(catalog.current, table="rebuild_lead_view")),
            Renamed(PostbackLogProjection(table="rebuild_postback_log")),
        ]
        runner = ProjectionRunner(
            services.ledger,
            services.address,
            projections,
            page_size=5000,
            before_page=_refresh_on_catalog(catalog),
        )
        runner.catch_up()
        print(f"replayed {runner.events_processed} events")
    finally:
        services.ledger.close()


if __name__ == "__main__":
    main()
