"""Audit reads: a lead's history, and leads and balances as of a moment (admin token)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from app.audit.answers import read_history
from app.audit.wire import LeadHistoryOut
from app.auth import require_admin
from app.openapi.errors import ADMIN_ROUTE, error_responses


class HistoryController(Controller):
    """A lead's whole story, for disputes."""

    path = "/api/leads"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["audit"]

    @get(
        "/{lead_id:uuid}/history",
        sync_to_thread=True,
        summary="Every postback for a lead, its events, the money before and after, recalculations",
        responses=error_responses(*ADMIN_ROUTE, "not_found"),
    )
    def history(
        self,
        request: Request,
        lead_id: FromPath[UUID],
        after: Annotated[
            int,
            QueryParameter(ge=0, description="Wait (up to 5 s) until the log has this position"),
        ] = 0,
    ) -> LeadHistoryOut:
        found = read_history(request.app.state.services, lead_id, after)
        if found is None:
            raise NotFoundException(f"lead {lead_id} is not known")
        return found
