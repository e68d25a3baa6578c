"""Deciding and saving postbacks, many in one transaction (group commit).

A batch of postbacks is decided in arrival order against aggregates loaded once per batch, so a
later postback of the batch sees what an earlier one did. Everything the batch changed, and the
record of every postback in it, is saved by one `Application.save`: one lock, one commit. If
another process wrote one of the same aggregates meanwhile, the save fails as a whole and each
postback of the batch is decided and saved again on its own, so a conflict never fails the others.

A batch is decided with one catalog snapshot, and saved only if the catalog is still at that
version when the events go in (`app.eventstore.recorder`): a catalog applied by any process is
in force for every postback saved after it, whatever snapshot this process held. If it moved,
the snapshot is reloaded and the batch decided again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError, StoredEvent
from eventsourcing.utils import get_topic

from app.eventstore.application import DatabaseUnavailable, LedgerApplication
from app.eventstore.recorder import CatalogMoved
from app.postbacks.aggregate_loading import AggregateLoader, aggregate_ids_for, leads_of_clicks
from app.postbacks.catalog_cache import CatalogCache
from app.postbacks.screening import SignatureCheck, check_screen_still_holds
from domain.catalog import CATALOG_ID
from domain.catalog_view import CatalogView
from domain.click import Click
from domain.errors import Rejection
from domain.identity import click_aggregate_id
from domain.lead import Lead
from domain.postback import Outcome, Postback
from domain.postback_rules import Decision, decide_creation, decide_status_change
from projections.eventlog.store import DATABASE_DOWN_ERRORS

log = logging.getLogger(__name__)

CREATION = "click"
STATUS_CHANGE = "status"
# Rejections that a just-applied catalog could turn into acceptances.
_CATALOG_DEPENDENT = {
    "invalid_token", "token_not_for_offer", "unknown_flow", "unknown_goal", "site_retired",
    "offer_paused", "flow_paused", "goal_retired",
}  # fmt: skip
_CONFLICT_RETRIES = 8
_CATALOG_RETRIES = 8
_POSTBACK_TOPIC = get_topic(Postback)
_RECEIVED_TOPIC = get_topic(Postback.Received)


@dataclass
class PostbackRequest:
    """One received postback, parsed: what the rules read and what the record keeps."""

    endpoint: str  # CREATION or STATUS_CHANGE
    method: str
    params: dict[str, str]
    raw_params: dict[str, list[str]]  # as received, token secret masked
    source_ip: str
    request_id: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    parse_error: Rejection | None = None
    resubmit_of: UUID | None = None
    # The catalog version the screen (address, signature) used, and whether it checked a
    # signature: a batch decided with a newer catalog checks the screen's rules again.
    screened_version: int | None = None
    signature_verified: bool = False
    signature_check: SignatureCheck | None = None  # for a site the screen did not know signs


@dataclass(frozen=True)
class PostbackResult:
    """What the sender is told, after the commit."""

    postback_id: UUID
    http_status: int
    outcome: str
    lead_id: UUID | None = None
    position: int | None = None
    error: str | None = None
    message: str | None = None


class BatchSource:
    """Aggregates loaded for one batch; later postbacks of the batch see earlier changes."""

    def __init__(self, loader: AggregateLoader) -> None:
        self._loader = loader
        self._aggregates: dict[UUID, Aggregate | None] = {}

    def prefetch(self, requests: list[PostbackRequest], catalog: CatalogView) -> None:
        """Load what the batch will ask for in two queries instead of two per postback."""
        ids = [i for request in requests for i in _named_ids(request, catalog)]
        self._aggregates.update(self._loader.load(ids))
        leads = [i for i in leads_of_clicks(self._aggregates.values()) if i not in self._aggregates]
        self._aggregates.update(self._loader.load(leads))

    def click(self, click: str) -> Click | None:
        return self._get(click_aggregate_id(click))

    def lead(self, lead_id: UUID) -> Lead | None:
        return self._get(lead_id)

    def add(self, aggregate: Aggregate) -> None:
        self._aggregates[aggregate.id] = aggregate

    def changed(self) -> list[Aggregate]:
        return [a for a in self._aggregates.values() if a is not None and a.pending_events]

    def loaded(self) -> list[Aggregate]:
        return [a for a in self._aggregates.values() if a is not None]

    def _get(self, aggregate_id: UUID):
        if aggregate_id not in self._aggregates:
            self._aggregates.update(self._loader.load([aggregate_id]))
        return self._aggregates[aggregate_id]


def _named_ids(request: PostbackRequest, catalog: CatalogView) -> list[UUID]:
    if request.parse_error is not None:
        return []
    try:
        return aggregate_ids_for(request.params, catalog)
    except Exception:  # only a prefetch: the rules will judge this postback
        return []


class PostbackProcessor:
    """Decides and durably records postbacks; the only writer of lead events."""

    def __init__(
        self, app: LedgerApplication, catalog: CatalogCache, cached_aggregates: int = 20_000
    ) -> None:
        self._app = app
        self._catalog = catalog
        self.loader = AggregateLoader(app, cached_aggregates)

    def process(self, requests: list[PostbackRequest]) -> list[PostbackResult]:
        """Raises DatabaseUnavailable when nothing could be saved; otherwise all are saved."""
        try:
            return self._save_together(requests)
        except RecordConflictError:
            if len(requests) > 1:
                return [result for request in requests for result in self.process([request])]
            return self._retry_alone(requests[0])
        except DATABASE_DOWN_ERRORS as error:
            raise DatabaseUnavailable(str(error)) from error
        except Exception:
            # A fault in one postback must not fail the others: isolate it.
            if len(requests) == 1:
                raise
            log.exception("batch of %d failed; processing its postbacks one by one", len(requests))
            return [result for request in requests for result in self.process([request])]

    def _retry_alone(self, request: PostbackRequest) -> list[PostbackResult]:
        for _ in range(_CONFLICT_RETRIES):
            try:
                return self._save_together([request])
            except RecordConflictError:
                log.info("version conflict for postback %s; deciding it again", request.request_id)
            except DATABASE_DOWN_ERRORS as error:
                raise DatabaseUnavailable(str(error)) from error
        raise DatabaseUnavailable("the lead kept changing under this postback; retry")

    def _save_together(self, requests: list[PostbackRequest]) -> list[PostbackResult]:
        for _ in range(_CATALOG_RETRIES):
            try:
                return self._save_with(requests, self._catalog.current())
            except (CatalogMoved, _Fresher):
                self._catalog.refresh()
        raise DatabaseUnavailable("the catalog kept changing under this batch; retry")

    def _save_with(
        self, requests: list[PostbackRequest], catalog: CatalogView
    ) -> list[PostbackResult]:
        source = BatchSource(self.loader)
        source.prefetch(requests, catalog)
        decided = [(request, Postback.new_id()) for request in requests]
        results = [
            self._decide(request, postback_id, source, catalog) for request, postback_id in decided
        ]
        records = [
            self._record(request, result)
            for (request, _), result in zip(decided, results, strict=True)
        ]
        guard = (CATALOG_ID, catalog.version)
        events = [event for aggregate in source.changed() for event in aggregate.collect_events()]
        appended = self._app.append(events, records, catalog_version=guard)
        self.loader.remember(source.loaded())
        positions: dict[UUID, int] = {}
        for event, position in zip(events, appended, strict=False):  # records come after
            postback_id = getattr(event, "postback_id", None)
            if postback_id is not None:
                positions[postback_id] = max(positions.get(postback_id, 0), position)
        return [_with_position(result, positions.get(result.postback_id)) for result in results]

    def _decide(
        self,
        request: PostbackRequest,
        postback_id: UUID,
        source: BatchSource,
        catalog: CatalogView,
    ) -> PostbackResult:
        if request.parse_error is not None:
            return _rejected(postback_id, request.parse_error)
        try:
            if request.screened_version not in (None, catalog.version):
                check_screen_still_holds(
                    request.params, request.source_ip, request.signature_verified, catalog,
                    request.signature_check,
                )  # fmt: skip
            decision = self._decide_with_catalog(request, postback_id, source, catalog)
        except Rejection as rejection:
            return _rejected(postback_id, rejection)
        return PostbackResult(postback_id, 200, decision.outcome, decision.lead_id)

    def _decide_with_catalog(
        self,
        request: PostbackRequest,
        postback_id: UUID,
        source: BatchSource,
        catalog: CatalogView,
    ) -> Decision:
        decide = decide_creation if request.endpoint == CREATION else decide_status_change
        try:
            return decide(request.params, catalog, source, postback_id, request.received_at)
        except Rejection as rejection:
            if rejection.code not in _CATALOG_DEPENDENT:
                raise
            if self._catalog.refresh(min_interval=0.5).version != catalog.version:
                raise _Fresher from rejection  # the whole batch again, with the new catalog
            raise

    def _record(self, request: PostbackRequest, result: PostbackResult) -> StoredEvent:
        """The record's one event, stored directly: the bytes `Postback(...)` would append
        (tests/postbacks/test_write_path.py compares them), without building the aggregate
        or its event object, which nobody reads here."""
        state = {
            "timestamp": Postback.Received.create_timestamp(),
            "originator_topic": _POSTBACK_TOPIC,
            "endpoint": request.endpoint,
            "method": request.method,
            "params": request.raw_params,
            "source_ip": request.source_ip,
            "received_at": request.received_at,
            "request_id": request.request_id,
            "outcome": result.outcome,
            "error": result.error,
            "message": result.message,
            "http_status": result.http_status,
            "lead_id": result.lead_id,
            "resubmit_of": request.resubmit_of,
        }
        return StoredEvent(
            originator_id=result.postback_id,
            originator_version=Postback.INITIAL_VERSION,
            topic=_RECEIVED_TOPIC,
            state=self._app.encoder.encode_state(state),
        )


class _Fresher(Exception):
    """A newer catalog than the batch's was found while deciding: decide the batch again."""


def _rejected(postback_id: UUID, rejection: Rejection) -> PostbackResult:
    return PostbackResult(
        postback_id,
        rejection.http_status,
        Outcome.REJECTED,
        error=rejection.code,
        message=rejection.message,
    )


def _with_position(result: PostbackResult, position: int | None) -> PostbackResult:
    if position is None:
        return result
    return PostbackResult(
        result.postback_id,
        result.http_status,
        result.outcome,
        result.lead_id,
        position,
        result.error,
        result.message,
    )
