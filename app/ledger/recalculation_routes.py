"""Rebuilds and their audit records (admin token): list, read one, start one.

A rebuild started here runs while the request waits; on a large store prefer the command line
(`postback-ledger projections rebuild`), which shows its progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter

from app.auth import acting_person, require_admin
from app.ledger.wire import (
    RecalculationOut,
    RecalculationPage,
    RecalculationRequest,
    RecalculationSummary,
)
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.ops.metrics import publishing_rebuild_progress
from projections.commission_ledger import recalculations
from projections.rebuild.rebuilder import TARGETS, Rebuild, RebuildBusy

MAX_PAGE = 200


class RecalculationController(Controller):
    """Every rebuild and dry run of the projections, with who ran it and what it changed."""

    path = "/api/recalculations"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["ledger"]

    @get(
        sync_to_thread=True,
        summary="Rebuilds and dry runs, newest first",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def list_recalculations(
        self,
        request: Request,
        before: Annotated[
            datetime | None, QueryParameter(description="next_cursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> RecalculationPage:
        with request.app.state.services.ledger.recorder.datastore.transaction() as cursor:
            rows = recalculations.newest(cursor, before, limit + 1)
        items = [summary_out(row) for row in rows[:limit]]
        more = len(rows) > limit
        return RecalculationPage(items, items[-1].started_at.isoformat() if more else None)

    @get(
        "/{recalculation_id:uuid}",
        sync_to_thread=True,
        summary="One rebuild in full",
        responses=error_responses(*ADMIN_ROUTE, "not_found"),
    )
    def get_recalculation(
        self, request: Request, recalculation_id: FromPath[UUID]
    ) -> RecalculationOut:
        with request.app.state.services.ledger.recorder.datastore.transaction() as cursor:
            row = recalculations.one(cursor, recalculation_id)
        if row is None:
            raise NotFoundException(f"no recalculation {recalculation_id}")
        return full_out(row)

    @post(
        opt={"role": "operator"},
        sync_to_thread=True,
        status_code=200,
        summary="Rebuild projections under the current rules (dry run by default)",
        responses=error_responses(*ADMIN_ROUTE, "bad_request", "conflict", "request_too_large"),
    )
    def start_recalculation(
        self, request: Request, data: JSONBody[RecalculationRequest]
    ) -> RecalculationOut:
        if data.projections not in TARGETS:
            raise ClientException(f"projections must be one of {', '.join(TARGETS)}")
        services = request.app.state.services
        actor = acting_person(request)
        try:
            rebuild = Rebuild(
                services.ledger,
                services.address,
                data.projections,
                actor,
                data.dry_run,
                progress=publishing_rebuild_progress(lambda done, total: None, data.projections),
            )
            record = rebuild.run()
        except RebuildBusy as busy:
            raise ClientException(str(busy), status_code=409) from busy
        with services.ledger.recorder.datastore.transaction() as cursor:
            return full_out(recalculations.one(cursor, record.id))


def summary_out(row: dict) -> RecalculationSummary:
    counts = row["summary"] or {}
    return RecalculationSummary(
        id=str(row["id"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        actor=row["actor"],
        dry_run=row["dry_run"],
        projections=list(row["projections"]),
        events_processed=row["events_processed"],
        leads_changed=counts.get("leads_changed", 0),
        accounts_changed=counts.get("accounts_changed", 0),
        leads_repriced=counts.get("leads_repriced", 0),
        leads_relabelled=counts.get("leads_relabelled", 0),
    )


def full_out(row: dict) -> RecalculationOut:
    return RecalculationOut(
        id=str(row["id"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        actor=row["actor"],
        dry_run=row["dry_run"],
        projections=list(row["projections"]),
        events_processed=row["events_processed"],
        rule_versions=row["rule_versions"],
        differences=row["differences"],
    )
