"""Admin endpoints: apply a catalog file."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, post
from litestar.exceptions import ClientException
from litestar.params import RawBody

from app.auth import acting_person, require_admin
from app.ledger.rate_change_warning import preview_after_apply
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.wire import AccountDifference, CatalogApplied
from domain.catalog_document import CatalogError, parse_catalog


class AdminController(Controller):
    """Operators' endpoints (admin token)."""

    path = "/api"
    guards = [require_admin]
    opt = {"role": "operator"}
    tags = ["admin"]

    @post(
        "/admin/catalog",
        sync_to_thread=True,
        status_code=200,
        summary="Apply a catalog TOML file (the request body)",
        request_max_body_size=1_000_000,
        responses=error_responses(*ADMIN_ROUTE, "unprocessable", "request_too_large"),
    )
    def apply_catalog(self, request: Request, body: RawBody) -> CatalogApplied:
        services = request.app.state.services
        actor = acting_person(request)
        try:
            document = parse_catalog(body)
            changes = services.ledger.apply_catalog(document, datetime.now(UTC), actor)
        except CatalogError as error:
            raise ClientException(str(error), status_code=422) from error
        view = services.catalog.refresh()
        return catalog_applied(changes, view.version, preview_after_apply(services, changes, actor))


def catalog_applied(changes, version: int, preview=None) -> CatalogApplied:
    retroactive = [
        f"{c.offer}/{c.goal}"
        + (f" for {c.webmaster}" if c.webmaster else "")
        + f" from {c.effective_from.isoformat()}"
        for c in changes.retroactive_rate_changes
    ]
    return CatalogApplied(
        changes=list(changes.lines),
        catalog_version=version,
        rebuild_needed=bool(retroactive),
        retroactive_rate_changes=retroactive,
        rebuild_preview=str(preview.id) if preview else None,
        leads_to_change=preview.leads_changed if preview else [],
        leads_to_reprice=len(preview.leads_repriced) if preview else 0,
        leads_to_relabel=len(preview.leads_relabelled) if preview else 0,
        account_differences=[
            AccountDifference(**line) for line in (preview.account_differences if preview else [])
        ],
    )
