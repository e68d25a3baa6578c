"""Reading leads: `GET /api/leads/{id}` from the lead view, optionally after a write position.

A support read: with `LEDGER_READ_URL` it is answered by the replica, and `after=` waits for the
replica's lead view to reach the position (bounded, then the primary's; `app.eventstore.replica`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter

from app.audit.answers import lead_as_of_out
from app.auth import require_admin
from app.eventstore.replica import read_transaction
from app.holds.listing import with_hold
from app.ledger.answers import money_out
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.wire import LeadOut
from domain.lead import Lead
from projections.lead_view.queries import lead_row


class LeadController(Controller):
    """Leads as projected from their events (admin token)."""

    path = "/api/leads"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["leads"]

    @get(
        "/{lead_id:uuid}",
        sync_to_thread=True,
        summary="A lead's current state and amounts",
        responses=error_responses(*ADMIN_ROUTE, "not_found"),
    )
    def get_lead(
        self,
        request: Request,
        lead_id: FromPath[UUID],
        after: Annotated[
            int,
            QueryParameter(
                ge=0,
                description="Wait (up to 5 s) until the projection has processed this position",
            ),
        ] = 0,
        as_of: Annotated[
            datetime | None,
            QueryParameter(description="The lead as the ledger stood at this moment (ISO 8601)"),
        ] = None,
    ) -> LeadOut:
        services = request.app.state.services
        if as_of is not None:
            return lead_as_of_out(services, lead_id, as_of)
        found = _lead(services, lead_id, after)
        if found is None and isinstance(services.ledger.get_or_none(lead_id), Lead):
            # The lead was acknowledged (its id comes from a postback's answer), the projection
            # has not reached it yet: wait for it as `after` would, rather than deny it exists.
            latest = services.ledger.recorder.max_notification_id() or 0
            found = _lead(services, lead_id, latest)
        if found is None:
            raise NotFoundException(f"lead {lead_id} is not known (yet)")
        return found


def _lead(services, lead_id: UUID, after: int) -> LeadOut | None:
    """From the replica (LEDGER_READ_URL) when its lead view has `after`, else the primary's."""
    with read_transaction(services, "lead_view", after) as cursor:
        row = lead_row(cursor, lead_id)
        return None if row is None else with_hold(services, lead_out(row), cursor)


def lead_out(row: dict) -> LeadOut:
    return LeadOut(
        id=str(row["id"]),
        click=row["click"],
        exto=row["exto"],
        flow=row["flow"],
        offer=row["offer"],
        advertiser=row["advertiser"],
        webmaster=row["webmaster"],
        goal=row["goal"],
        status=row["status"],
        advertiser_payout=money_out(row["advertiser_amount"], row["advertiser_currency"]),
        webmaster_commission=money_out(row["webmaster_amount"], row["webmaster_currency"]),
        rule_version=row["rule_version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        position=row["position"],
    )
