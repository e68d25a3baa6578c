"""`GET /api/postbacks`: the postback log as received, refusals included, newest first (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, get
from litestar.exceptions import ClientException
from litestar.params import FromQuery, QueryParameter

from app.auth import require_admin
from app.eventstore.replica import read_transaction
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.postbacks.resubmission import resubmitter
from app.wire import PostbackOut, PostbackPage
from projections.postback_log.search import search_postbacks

MAX_PAGE = 500
# A uuid in hex, hyphens optional, or nothing (an empty filter filters nothing).
UUID_OR_EMPTY = (
    r"^([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})?$"
)
# Documented only: `_uuid` checks it, with a message that says what a lead id is.
UUID_FILTER = {"schema_extra": {"pattern": UUID_OR_EMPTY}}


class PostbackLogController(Controller):
    """Support staff's view of every call as received (admin token)."""

    path = "/api"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["admin"]

    @get(
        "/postbacks",
        sync_to_thread=True,
        summary="The postback log, newest first, paged",
        responses=error_responses(*ADMIN_ROUTE, "bad_request"),
    )
    def list_postbacks(
        self,
        request: Request,
        click: FromQuery[str | None] = None,
        exto: FromQuery[str | None] = None,
        site: FromQuery[str | None] = None,
        lead: Annotated[str | None, QueryParameter(description="A lead id", **UUID_FILTER)] = None,
        resubmit_of: Annotated[
            str | None,
            QueryParameter(description="Re-submissions of this postback id", **UUID_FILTER),
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
        filters = {
            "click": click,
            "exto": exto,
            "site": site,
            "outcome": outcome,
            "error": error,
            "lead": _uuid("lead", lead),
            "resubmit_of": _uuid("resubmit_of", resubmit_of),
            "from": from_,
            "to": to,
        }
        with read_transaction(request.app.state.services) as cursor:
            rows, next_cursor = search_postbacks(cursor, filters, before, limit)
        return PostbackPage([postback_out(row) for row in rows], next_cursor)


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
        resubmitted_by=resubmitter(row["request_id"]) if row["resubmit_of"] else None,
    )
