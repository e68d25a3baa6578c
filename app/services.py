"""The composition of the running service: event store, catalog cache, writer, projections.

`Services.open` wires them from settings; tests open it against their own database. Nothing
here runs at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.deliveries.secret_vault import TargetSecrets
from app.eventstore.application import LedgerApplication
from app.eventstore.breaker import DatabaseBreaker
from app.eventstore.database import DatabaseAddress, database_address, schema_lock
from app.eventstore.replica import ReadReplica
from app.postbacks.catalog_cache import CatalogCache
from app.postbacks.deferred_clicks import DeferredClicks
from app.postbacks.processing import PostbackProcessor
from app.postbacks.screening import ensure_signing_key
from app.postbacks.writer import PostbackWriter
from app.settings import Settings
from app.staff.tables import create_staff_tables
from projections.audit_chain.projection import AuditChainProjection
from projections.commission_ledger.projection import CommissionLedgerProjection
from projections.invoices.projection import InvoicesProjection
from projections.lead_view.projection import LeadViewProjection
from projections.payouts.projection import PayoutsProjection
from projections.periods.projection import PeriodsProjection
from projections.postback_log.projection import PostbackLogProjection
from projections.runner import Projection, ProjectionRunner

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything the HTTP handlers and commands use, opened and closed together."""

    settings: Settings
    address: DatabaseAddress
    ledger: LedgerApplication
    catalog: CatalogCache
    processor: PostbackProcessor
    writer: PostbackWriter
    runner: ProjectionRunner
    breaker: DatabaseBreaker  # the writer's, also bounding every HTTP request (database_gate)
    deferred_clicks: DeferredClicks  # visitors sent on while the database was down
    replica: ReadReplica | None = None  # LEDGER_READ_URL: support and admin reads go there
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # lock_for's now

    @classmethod
    def open(cls, settings: Settings, address: DatabaseAddress | None = None) -> Services:
        address = address or database_address(settings)
        with schema_lock(address):  # both create their tables if missing
            ledger = LedgerApplication(env=address.eventsourcing_env(settings.pool_size))
            ledger.target_secrets = TargetSecrets(lambda: ensure_signing_key(settings))
            create_staff_tables(ledger)
            catalog = CatalogCache(ledger, settings.catalog_reload_seconds)
            projections = build_projections(catalog)
            runner = ProjectionRunner(
                ledger, address, projections, before_page=_refresh_on_catalog(catalog)
            )
        processor = PostbackProcessor(ledger, catalog)
        breaker = DatabaseBreaker(ledger.recorder.datastore.pool, address.conninfo())
        writer = PostbackWriter(processor, max_batch=settings.max_batch, breaker=breaker)
        deferred = DeferredClicks(ledger)
        opened = cls(
            settings, address, ledger, catalog, processor, writer, runner, breaker, deferred
        )
        opened.replica = ReadReplica.open(settings.read_url)
        return opened

    def start(self) -> None:
        self.writer.start()
        if self.settings.run_projections:
            self.runner.start()

    def close(self) -> None:
        self.deferred_clicks.close()
        self.writer.stop()
        self.runner.stop()
        if self.replica is not None:
            self.replica.close()
        self.ledger.close()


def build_projections(catalog: CatalogCache) -> list[Projection]:
    return [
        LeadViewProjection(catalog.current),
        PostbackLogProjection(),
        AuditChainProjection(),
        CommissionLedgerProjection(catalog.current),
        PeriodsProjection(),
        PayoutsProjection(),
        InvoicesProjection(),
    ]


def _refresh_on_catalog(catalog: CatalogCache):
    from domain.catalog import Catalog

    def refresh_if_catalog_changed(events) -> None:
        if any(isinstance(event, Catalog.Event) for _, event in events):
            catalog.refresh()

    return refresh_if_catalog_changed
