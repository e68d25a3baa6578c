"""The event-sourced application: one event store for leads, clicks, postbacks and the catalog.

A thin layer over eventsourcing's `Application`: it names the store, adds the look-ups the
postback rules need, and turns the database being unreachable into one error type that the
HTTP edge answers with 503.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from psycopg import sql

from app.eventstore.saving import BatchSaving
from domain.catalog import Catalog, CatalogChanges
from domain.catalog_document import CatalogDocument
from domain.catalog_view import CatalogView
from domain.click import Click
from domain.webmaster_postbacks import WebmasterPostbacks, document_secrets


class DatabaseUnavailable(Exception):
    """The event store cannot be reached now; the sender should retry later."""


class LedgerApplication(BatchSaving, Application[UUID]):
    """The write side: saves aggregates' events to the PostgreSQL table `ledger_events`."""

    name = "Ledger"
    # Appends without psycopg pipeline mode, which hung on large group-commit batches.
    env = {"APPLICATION_RECORDER_TOPIC": "app.eventstore.recorder:LedgerRecorder"}
    # Keeps webmaster postback secrets out of the events (app.deliveries.secret_vault), set by
    # Services.open: `reference(secret)` and `keep(cursor, secrets)`.
    target_secrets: Any = None

    def get_or_none(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def record_click(
        self,
        click: str,
        flow: int,
        offer: str,
        webmaster: str,
        ip: str,
        user_agent: str,
        subs: dict[str, str],
        catalog_version: int | None = None,
    ) -> Click:
        """`catalog_version`: saved only if the catalog is still there (else CatalogMoved)."""
        recorded = Click(
            click=click,
            flow=flow,
            offer=offer,
            webmaster=webmaster,
            ip=ip,
            user_agent=user_agent,
            subs=subs,
        )
        guard = None if catalog_version is None else (Catalog.create_id(), catalog_version)
        self.save(recorded, catalog_version=guard)
        return recorded

    def catalog_view(self) -> CatalogView:
        catalog = self.get_or_none(Catalog.create_id())
        return catalog.view() if catalog is not None else CatalogView.empty()

    def catalog_version(self) -> int:
        """The catalog aggregate's version, read cheaply so caches know when to reload."""
        statement = sql.SQL(
            "SELECT max(originator_version) FROM {} WHERE originator_id = %s"
        ).format(sql.Identifier(self.events_table))
        with self.recorder.datastore.get_connection() as connection:
            row = connection.execute(statement, (Catalog.create_id(),)).fetchone()
        return row["max"] or 0

    def apply_catalog(
        self, document: CatalogDocument, now: datetime, actor: str = ""
    ) -> CatalogChanges:
        catalog = self.get_or_none(Catalog.create_id()) or Catalog()
        changes = catalog.apply_document(document, now, actor)
        targets = self.postback_targets_aggregate()
        lines = targets.apply_document(document, self._kept_secrets(document))
        self.save(catalog, targets)  # one transaction: the file applies whole or not at all
        return replace(changes, lines=changes.lines + tuple(lines))

    def _kept_secrets(self, document: CatalogDocument) -> Callable[[str], str]:
        """The document's signing secrets stored encrypted apart (before the events: a secret
        kept for a file that then fails to apply is harmless), and what the events record."""
        keeper = self.target_secrets
        secrets = document_secrets(document)
        if keeper is None:
            if secrets:
                raise RuntimeError("webmaster postback secrets need a keeper (Services.open)")
            return lambda secret: secret  # never called: there is no secret
        with self.recorder.datastore.transaction(commit=True) as cursor:
            keeper.keep(cursor, secrets)
        return keeper.reference

    def postback_targets_aggregate(self) -> WebmasterPostbacks:
        return self.get_or_none(WebmasterPostbacks.create_id()) or WebmasterPostbacks()

    @property
    def events_table(self) -> str:
        return self.recorder.events_table_name  # type: ignore[attr-defined]
