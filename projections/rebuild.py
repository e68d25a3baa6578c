"""Rebuilding projections from the event store under the current rules, beside the live ones.

A rebuild replays every lead event, priced with the current catalog, into fresh tables in a
schema of its own (`rebuild_<id>`) while the live tables keep serving and the live runner keeps
feeding them. Then, in one transaction that holds the runner off (a lock on the tracking table):
it brings both sides to the same position, compares them, records the audit row
(`projections.recalculations`) and, unless it is a dry run, moves the new tables into place.
Readers see the old tables or the new ones, never a mix. One rebuild runs at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.rows import dict_row

from app.database import DatabaseAddress
from app.ledger_app import LedgerApplication
from app.metrics import publishing_rebuild_progress
from domain.catalog_view import CatalogView
from domain.lead import Lead
from projections import recalculations
from projections.commission_ledger import PROJECTION_NAME as LEDGER
from projections.commission_ledger import CommissionLedgerProjection
from projections.lead_view import LeadViewProjection
from projections.ledger_schema import LEDGER_TABLES
from projections.rebuild_compare import lead_view_differences, ledger_differences
from projections.recalculations import Recalculation
from projections.runner import TRACKING_TABLE

log = logging.getLogger(__name__)

LEAD_VIEW = "lead_view"
TARGETS: dict[str, tuple[str, ...]] = {
    "leads": (LEAD_VIEW,),
    "commissions": (LEDGER,),
    "all": (LEAD_VIEW, LEDGER),
}
_TABLES = {LEAD_VIEW: ("lead_view",), LEDGER: LEDGER_TABLES}
LEAD_TOPICS = [
    get_topic(cls)
    for cls in vars(Lead).values()
    if isinstance(cls, type) and issubclass(cls, Lead.Event)
]
_REBUILD_LOCK_KEY = 0x72656275696C64  # "rebuild": one rebuild per database at a time

Progress = Callable[[int, int], None]
"""Called with (events replayed, events expected) after each page."""


class RebuildBusy(RuntimeError):
    """Another rebuild is running on this database."""


@dataclass(frozen=True)
class _Schemas:
    live: str
    rebuilt: str

    def search_path(self, *schemas: str) -> sql.Composable:
        return sql.SQL("SET LOCAL search_path TO {}").format(
            sql.SQL(", ").join(map(sql.Identifier, schemas))
        )


class Rebuild:
    """One rebuild of the named projections (see TARGETS); `run()` once."""

    def __init__(
        self,
        app: LedgerApplication,
        address: DatabaseAddress,
        target: str,
        actor: str,
        dry_run: bool = False,
        progress: Progress | None = None,
        page_size: int = 5000,
    ) -> None:
        if target not in TARGETS:
            raise ValueError(f"unknown projection {target!r}: one of {', '.join(TARGETS)}")
        self._app = app
        self._address = address
        self._names = TARGETS[target]
        self._actor = actor
        self._dry_run = dry_run
        # Also published as the ledger_rebuild_progress_ratio metric at /metrics.
        self._progress = publishing_rebuild_progress(progress or (lambda done, total: None), target)
        self._page_size = page_size
        self.id: UUID = uuid4()
        self.events_processed = 0

    def run(self) -> Recalculation:
        started = datetime.now(UTC)
        catalog = self._app.catalog_view()
        with psycopg.connect(
            self._address.conninfo(), row_factory=dict_row, autocommit=True, prepare_threshold=None
        ) as connection:
            if not connection.execute(
                "SELECT pg_try_advisory_lock(%s) AS locked", (_REBUILD_LOCK_KEY,)
            ).fetchone()["locked"]:
                raise RebuildBusy("another rebuild is running; try again when it has finished")
            live = connection.execute("SELECT current_schema() AS s").fetchone()["s"]
            schemas = _Schemas(live, f"rebuild_{self.id.hex[:12]}")
            connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schemas.rebuilt)))
            try:
                return self._rebuild(connection, schemas, catalog, started)
            finally:
                connection.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                        sql.Identifier(schemas.rebuilt)
                    )
                )
                connection.execute("SELECT pg_advisory_unlock(%s)", (_REBUILD_LOCK_KEY,))

    def _rebuild(
        self, connection: psycopg.Connection, schemas: _Schemas, catalog: CatalogView, started
    ) -> Recalculation:
        rebuilt = self._projections(catalog, self.id)
        with connection.transaction():
            cursor = connection.cursor()
            cursor.execute(schemas.search_path(schemas.rebuilt, schemas.live))
            for projection in rebuilt:
                projection.create_tables(cursor)
        total = self._count_events()
        position = 0
        for events in self._pages(position):
            with connection.transaction():
                cursor = connection.cursor()
                cursor.execute(schemas.search_path(schemas.rebuilt, schemas.live))
                position = self._replay(cursor, rebuilt, events)
            self._progress(self.events_processed, max(total, self.events_processed))
        return self._finish(connection, schemas, catalog, rebuilt, position, started)

    def _finish(self, connection, schemas, catalog, rebuilt, position, started) -> Recalculation:
        """Catch up, compare, record and (unless dry) switch: all in one transaction."""
        with connection.transaction():
            cursor = connection.cursor()
            cursor.execute(
                sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                    sql.Identifier(schemas.live, TRACKING_TABLE)
                )
            )
            live_positions = self._live_positions(cursor, schemas.live)
            target = max(position, *live_positions.values())
            cursor.execute(schemas.search_path(schemas.rebuilt, schemas.live))
            for events in self._pages(position, stop=target):
                self._replay(cursor, rebuilt, events)
            self._advance_live(cursor, schemas, catalog, live_positions, target)
            record = self._record(cursor, schemas, catalog, started)
            if not self._dry_run:
                self._switch(cursor, schemas, target)
            recalculations.insert(cursor, record, schemas.live)
        log.info(
            "rebuild %s of %s: %d events, %d leads changed, %s",
            record.id, ", ".join(self._names), record.events_processed,
            len(record.leads_changed), "dry run" if self._dry_run else "switched",
        )  # fmt: skip
        return record

    def _projections(self, catalog: CatalogView, recalculation_id: UUID | None) -> list[Any]:
        def fixed() -> CatalogView:
            return catalog

        made = {
            LEAD_VIEW: lambda: LeadViewProjection(fixed),
            LEDGER: lambda: CommissionLedgerProjection(fixed, recalculation_id),
        }
        return [made[name]() for name in self._names]

    def _count_events(self) -> int:
        with self._app.recorder.datastore.transaction(commit=False) as cursor:
            row = cursor.execute(
                sql.SQL("SELECT count(*) AS n FROM {} WHERE topic = ANY(%s)").format(
                    sql.Identifier(self._app.recorder.datastore.schema, self._app.events_table)
                ),
                (LEAD_TOPICS,),
            ).fetchone()
        return row["n"]

    def _pages(self, after: int, stop: int | None = None) -> Iterator[list[tuple[int, Any]]]:
        """The lead events after position `after` (up to `stop`), a page at a time."""
        while notifications := self._app.recorder.select_notifications(
            start=after, limit=self._page_size, stop=stop, topics=LEAD_TOPICS,
            inclusive_of_start=False,
        ):  # fmt: skip
            yield [(n.id, self._app.mapper.to_domain_event(n)) for n in notifications]
            after = notifications[-1].id

    def _replay(self, cursor, projections, events: list[tuple[int, Any]]) -> int:
        for projection in projections:
            projection.process(cursor, events)
        self.events_processed += len(events)
        return events[-1][0]

    def _live_positions(self, cursor, live: str) -> dict[str, int]:
        rows = cursor.execute(
            sql.SQL("SELECT name, position FROM {} WHERE name = ANY(%s)").format(
                sql.Identifier(live, TRACKING_TABLE)
            ),
            (list(self._names),),
        ).fetchall()
        found = {row["name"]: row["position"] for row in rows}
        return {name: found.get(name, 0) for name in self._names}

    def _advance_live(self, cursor, schemas, catalog, live_positions, target: int) -> None:
        """Bring live projections that lag (no runner running, say) to the rebuild's position."""
        cursor.execute(schemas.search_path(schemas.live))
        for projection in self._projections(catalog, None):
            projection.create_tables(cursor)
            for events in self._pages(live_positions[projection.name], stop=target):
                projection.process(cursor, events)
            self._set_position(cursor, schemas.live, projection.name, target)
        cursor.execute(schemas.search_path(schemas.rebuilt, schemas.live))

    @staticmethod
    def _set_position(cursor, live: str, name: str, position: int) -> None:
        cursor.execute(
            sql.SQL(
                "INSERT INTO {} (name, position) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position"
            ).format(sql.Identifier(live, TRACKING_TABLE)),
            (name, position),
        )

    def _record(self, cursor, schemas: _Schemas, catalog, started) -> Recalculation:
        differences: dict[str, list] = {}
        if LEDGER in self._names:
            differences.update(ledger_differences(cursor, schemas.live, schemas.rebuilt))
        if LEAD_VIEW in self._names:
            differences["lead_view"] = lead_view_differences(cursor, schemas.live, schemas.rebuilt)
        return Recalculation(
            id=self.id,
            started_at=started,
            finished_at=datetime.now(UTC),
            actor=self._actor,
            dry_run=self._dry_run,
            projections=list(self._names),
            rule_versions=recalculations.rule_versions(catalog),
            events_processed=self.events_processed,
            differences=differences,
        )

    def _switch(self, cursor, schemas: _Schemas, target: int) -> None:
        for name in self._names:
            for table in _TABLES[name]:
                cursor.execute(
                    sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schemas.live, table))
                )
                cursor.execute(
                    sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                        sql.Identifier(schemas.rebuilt, table), sql.Identifier(schemas.live)
                    )
                )
            self._set_position(cursor, schemas.live, name, target)


def rebuild(
    app: LedgerApplication,
    address: DatabaseAddress,
    target: str,
    actor: str,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Recalculation:
    return Rebuild(app, address, target, actor, dry_run, progress).run()
