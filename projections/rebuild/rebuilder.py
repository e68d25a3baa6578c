"""Rebuilding projections from the event store under the current rules, beside the live ones.

A rebuild replays every lead event, priced with the current catalog, into fresh tables in a
schema of its own (`projections.rebuild.schema`) while the live tables keep serving and the live
runner keeps feeding them. Then, in one transaction that holds the runner off (a lock on the
tracking table): it brings both sides to the same position, compares them, records the audit
row (`projections.commission_ledger.recalculations`) and, unless it is a dry run, moves the new
tables into place. Readers see the old tables or the new ones, never a mix. One rebuild runs at
a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.rows import dict_row

from domain.catalog_view import CatalogView
from projections.commission_ledger import recalculations
from projections.commission_ledger.projection import PROJECTION_NAME as LEDGER
from projections.commission_ledger.projection import CommissionLedgerProjection
from projections.commission_ledger.recalculations import Recalculation
from projections.commission_ledger.schema import LEDGER_TABLES
from projections.eventlog.pages import LeadEventPages, Page
from projections.eventlog.store import EventStore, ServerAddress
from projections.lead_view.projection import LeadViewProjection
from projections.periods.carry_forward import carry_forward
from projections.rebuild.compare import lead_view_differences, ledger_differences
from projections.rebuild.schema import RebuildBusy, RebuildSchema

log = logging.getLogger(__name__)

LEAD_VIEW = "lead_view"
TARGETS: dict[str, tuple[str, ...]] = {
    "leads": (LEAD_VIEW,),
    "commissions": (LEDGER,),
    "all": (LEAD_VIEW, LEDGER),
}
_TABLES = {LEAD_VIEW: ("lead_view",), LEDGER: LEDGER_TABLES}

# About 1 kB each: the leads of the last few hundred thousand events, in far under 1 GB.
_REMEMBERED_LEADS = 100_000

Progress = Callable[[int, int], None]
"""Called with (events replayed, events expected) after each page."""

__all__ = ["TARGETS", "Rebuild", "RebuildBusy"]


class Rebuild:
    """One rebuild of the named projections (see TARGETS); `run()` once."""

    def __init__(
        self,
        app: EventStore,
        address: ServerAddress,
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
        self._progress = progress or (lambda done, total: None)
        self._events = LeadEventPages(app, page_size)
        self.id: UUID = uuid4()
        self.events_processed = 0
        self.adjustments: list[dict] = []  # closed-period differences carried forward

    def run(self) -> Recalculation:
        started = datetime.now(UTC)
        catalog = self._app.catalog_view()
        with self._connect() as connection:
            schema = RebuildSchema.open(connection, f"rebuild_{self.id.hex[:12]}")
            try:
                position = self._replay_all(connection, schema, catalog)
                return self._finish(connection, schema, catalog, position, started)
            finally:
                schema.close(connection)

    def _replay_all(self, connection, schema: RebuildSchema, catalog: CatalogView) -> int:
        """Fill the new tables from every lead event so far; the position reached."""
        projections = self._projections(catalog, self.id, remember=_REMEMBERED_LEADS)
        with connection.transaction():
            cursor = connection.cursor()
            schema.use_rebuilt(cursor)
            for projection in projections:
                projection.create_tables(cursor)
            schema.defer_indexes(cursor)
        total = self._events.count()
        position = 0
        replayed = self._without_lead_view_if_copied(projections)
        for events in self._events.pages(position):
            with connection.transaction():
                cursor = connection.cursor()
                schema.use_rebuilt(cursor)
                position = self._replay(cursor, replayed, events)
            self._progress(self.events_processed, max(total, self.events_processed))
        with connection.transaction():
            cursor = connection.cursor()
            schema.use_rebuilt(cursor)
            if replayed != projections:
                cursor.execute("INSERT INTO lead_view SELECT * FROM ledger_leads")
            if LEDGER in self._names:  # closed periods keep their entries; see carry_forward
                self.adjustments = carry_forward(
                    cursor, schema.live, schema.rebuilt, self.id, datetime.now(UTC), position
                )
            schema.build_indexes(cursor)
        return position

    def _connect(self) -> psycopg.Connection:
        """A connection whose commits do not wait for the disk, but in `_finish`.

        Everything committed before `_finish` lives in the rebuild's own schema, which nobody
        reads: a crash that loses such a commit loses a rebuild that was never switched in, and
        the next rebuild drops its schema and starts over. `_finish`, which switches the tables
        and records the recalculation, commits synchronously, and its flush of the log carries
        every earlier commit with it."""
        connection = psycopg.connect(
            self._address.conninfo(), row_factory=dict_row, autocommit=True, prepare_threshold=None
        )
        connection.execute("SET synchronous_commit = off")
        return connection

    def _without_lead_view_if_copied(self, projections: list[Any]) -> list[Any]:
        """Rebuilding both, the lead view is copied from the ledger's lead table at the end.

        Both hold each lead folded from the same events and priced with the same catalog, row
        for row (`view_row`); replaying it twice would only cost time.
        """
        if set(self._names) != {LEAD_VIEW, LEDGER}:
            return projections
        return [projection for projection in projections if projection.name != LEAD_VIEW]

    def _finish(self, connection, schema: RebuildSchema, catalog, position, started):
        """Catch up, compare, record and (unless dry) switch: all in one transaction."""
        with connection.transaction():
            cursor = connection.cursor()
            # See _connect: the server's own level again (`on`, or `remote_apply` where the
            # operator set it), not a fixed `on` that would lower it.
            cursor.execute("SET LOCAL synchronous_commit TO DEFAULT")
            live_positions = schema.hold_runner_off(cursor, self._names)
            target = max(position, *live_positions.values())
            schema.use_rebuilt(cursor)
            projections = self._projections(catalog, self.id)
            for events in self._events.pages(position, stop=target):
                self._replay(cursor, projections, events)
            self._advance_live(cursor, schema, catalog, live_positions, target)
            record = self._record(cursor, schema, catalog, started)
            if not self._dry_run:
                schema.switch(cursor, tuple(t for name in self._names for t in _TABLES[name]))
                for name in self._names:
                    schema.set_position(cursor, name, target)
            recalculations.insert(cursor, record, schema.live)
        log.info(
            "rebuild %s of %s: %d events, %d leads changed, %s",
            record.id, ", ".join(self._names), record.events_processed,
            len(record.leads_changed), "dry run" if self._dry_run else "switched",
        )  # fmt: skip
        return record

    def _projections(
        self, catalog: CatalogView, recalculation_id: UUID | None, remember: int = 0
    ) -> list[Any]:
        """`remember` > 0 only while the rebuild is the sole writer of the tables it fills."""

        def fixed() -> CatalogView:
            return catalog

        made = {
            LEAD_VIEW: lambda: LeadViewProjection(fixed),
            LEDGER: lambda: CommissionLedgerProjection(fixed, recalculation_id, remember),
        }
        return [made[name]() for name in self._names]

    def _replay(self, cursor, projections, events: Page) -> int:
        for projection in projections:
            projection.process(cursor, events)
        self.events_processed += len(events)
        return events[-1][0]

    def _advance_live(self, cursor, schema: RebuildSchema, catalog, live_positions, target):
        """Bring live projections that lag (no runner running, say) to the rebuild's position."""
        schema.use_live(cursor)
        for projection in self._projections(catalog, None):
            projection.create_tables(cursor)
            for events in self._events.pages(live_positions[projection.name], stop=target):
                projection.process(cursor, events)
            schema.set_position(cursor, projection.name, target)
        schema.use_rebuilt(cursor)

    def _record(self, cursor, schema: RebuildSchema, catalog, started) -> Recalculation:
        differences: dict[str, list] = {}
        if LEDGER in self._names:
            differences.update(ledger_differences(cursor, schema.live, schema.rebuilt))
        if LEAD_VIEW in self._names:
            differences["lead_view"] = lead_view_differences(cursor, schema.live, schema.rebuilt)
        if self.adjustments:
            differences["adjustments"] = self.adjustments  # booked in the open period
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
