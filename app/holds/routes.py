"""`GET /api/holds`: the holds still running, soonest first, with sums per webmaster and currency
(what will be approved or cancelled by a date). Support staff read it."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.exceptions import ClientException
from litestar.params import FromQuery, QueryParameter

from app.auth import require_admin
from app.holds.listing import BadCursor, HoldPage, hold_page, moment
from app.openapi.errors import ADMIN_ROUTE, error_responses
from projections.holds.reads import HoldFilter

MAX_PAGE = 500


class HoldController(Controller):
    """Running holds and when their rule ends them (admin token, support role)."""

    path = "/api/holds"
    guards = [require_admin]
    tags = ["holds"]
    opt = {"role": "support"}

    @get(
        "",
        sync_to_thread=True,
        summary="Holds still running, soonest first, with sums per webmaster and currency",
        responses=error_responses(*ADMIN_ROUTE, "bad_request"),
    )
    def list_holds(
        self,
        request: Request,
        due_before: Annotated[
            str | None,
            QueryParameter(
                description="Only holds that end before this moment (ISO 8601; a plain date is "
                "midnight in LEDGER_TIME_ZONE)"
            ),
        ] = None,
        webmaster: FromQuery[str | None] = None,
        advertiser: FromQuery[str | None] = None,
        offer: FromQuery[str | None] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> HoldPage:
        try:
            before = moment(due_before) if due_before else None
        except ValueError:
            raise ClientException("due_before must be a date or an ISO 8601 time", 400) from None
        where = HoldFilter(before, webmaster or None, advertiser or None, offer or None)
        try:
            return hold_page(request.app.state.services, where, cursor or None, limit)
        except BadCursor as error:
            raise ClientException(str(error), status_code=400) from None
