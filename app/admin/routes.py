"""Admin endpoints: apply a catalog file, and look up the postback log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException
from litestar.params import FromQuery, QueryParameter, RawBody
from psycopg import sql

from app.admin.auth import require_admin
from app.ledger.rate_change_warning import preview_after_apply
from app.wire import CatalogApplied, PostbackOut, PostbackPage
from domain.catalog_document import CatalogError, parse_catalog

MAX_PAGE = 500


class AdminController(Controller):
    """Operators' endpoints (admin token)."""

    path = "/api"
    guards = [require_admin]
    tags = ["admin"]

    @post(
        "/admin/catalog",
        sync_to_thread=True,
        status_code=200,
        summary="Apply a catalog TOML file (the request body)",
        request_max_body_size=1_000_000,
    )
    def apply_catalog(self, request: Request, body: RawBody) -> CatalogApplied:
        services = request.app.state.services
        try:
            document = parse_catalog(body)
            changes = services.ledger.apply_catalog(document, datetime.now(UTC))
        except CatalogError as error:
            raise ClientException(str(error), status_code=422) from error
        view = services.catalog.refresh()
        actor = request.scope.get("admin_name", "admin")  # type: ignore[call-overload]
        return catalog_applied(changes, view.version, preview_after_apply(services, changes, actor))

    @get("/postbacks", sync_to_thread=True, summary="The postback log, newest first, paged")
    def list_postbacks(
        self,
        request: Request,
        click: FromQuery[str | None] = None,
        exto: FromQuery[str | None] = None,
        site: FromQuery[str | None] = None,
        lead: FromQuery[str | None] = None,
        resubmit_of: Annotated[
            str | None, QueryParameter(description="Re-submissions of this postback id")
        ] = None,
        outcome: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
        before: Annotated[
            int | None, QueryParameter(description="Cursor: next_cursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> PostbackPage:
        filters = {"click": click, "exto": exto, "site": site, "outcome": outcome, "error": error}
        conditions = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k, v in filters.items() if v]
        params: list = [v for v in filters.values() if v]
        for condition, value in (
            ("lead_id = %s", _uuid("lead", lead)),
            ("resubmit_of = %s", _uuid("resubmit_of", resubmit_of)),
            ("received_at >= %s", from_),
            ("received_at < %s", to),
            ("position < %s", before),
        ):
            if value is not None:
                conditions.append(sql.SQL(condition))
                params.append(value)
        where = (
            sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        )
        statement = sql.SQL("SELECT * FROM postback_log{} ORDER BY position DESC LIMIT %s").format(
            where
        )
        with request.app.state.services.ledger.recorder.datastore.transaction(
            commit=False
        ) as cursor:
            rows = cursor.execute(statement, [*params, limit + 1]).fetchall()
        items = [postback_out(row) for row in rows[:limit]]
        return PostbackPage(items, items[-1].position if len(rows) > limit else None)


def _uuid(name: str, text: str | None) -> UUID | None:
    """A lead or postback id filter as a uuid (any case, with or without hyphens): compared as a
    uuid, its index serves it; anything else is the sender's mistake, answered with 400. Left
    empty, like the other filters, it filters nothing."""
    if not text or not text.strip():
        return None
    try:
        return UUID(text.strip())
    except ValueError:
        raise ClientException(f"{name} must be a uuid", status_code=400) from None


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
    )


def postback_out(row: dict) -> PostbackOut:
    return PostbackOut(
        id=str(row["id"]),
        position=row["position"],
        received_at=row["received_at"],
        endpoint=row["endpoint"],
        method=row["method"],
        source_ip=row["source_ip"],
        request_id=row["request_id"],
        outcome=row["outcome"],
        error=row["error"],
        message=row["message"],
        http_status=row["http_status"],
        lead_id=str(row["lead_id"]) if row["lead_id"] else None,
        params=row["params"],
        resubmit_of=str(row["resubmit_of"]) if row["resubmit_of"] else None,
    )
