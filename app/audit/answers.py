"""Audit answers shared by the controllers and the support page: a lead's history, and a lead or a
holder's balances as the ledger stood at a moment."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar.exceptions import NotFoundException

from app.audit.as_of import lead_as_of
from app.audit.as_of_snapshot import balances_as_of
from app.audit.history import lead_history
from app.audit.snapshots import money_out
from app.audit.wire import BalancesOut
from app.eventstore.replica import read_transaction
from app.services import Services
from app.wire import LeadOut
from domain.ledger import NETWORK
from domain.money import Money
from projections.lead_view.queries import lead_ids_of


def read_history(services: Services, lead_id: UUID, after: int | None = None):
    with read_transaction(services, "postback_log", after or 0) as cursor:
        return lead_history(services.ledger, cursor, lead_id, services.catalog.current())


def lead_as_of_out(services: Services, lead_id: UUID, moment: datetime) -> LeadOut:
    """`GET /api/leads/{id}?as_of=T`: the lead as the ledger stood at T."""
    with read_transaction(services) as cursor:
        found = lead_as_of(services.ledger, cursor, lead_id, moment)
    if found is None:
        raise NotFoundException(f"lead {lead_id} did not exist at {moment.isoformat()}")
    state, amounts = found.state, found.amounts
    return LeadOut(
        id=str(state.id),
        click=state.click,
        exto=state.exto,
        flow=state.flow,
        offer=state.offer,
        advertiser=state.advertiser,
        webmaster=state.webmaster,
        goal=state.goal,
        status=state.status.value,
        advertiser_payout=money_out(amounts.advertiser_payout),
        webmaster_commission=money_out(amounts.webmaster_commission),
        rule_version=amounts.rule_version,
        created_at=state.created_at,
        updated_at=state.updated_at,
        version=state.version,
        position=found.position,
    )


def balances_as_of_out(services: Services, account: str, moment: datetime) -> BalancesOut:
    """`GET /api/balances?…&as_of=T`: a holder's balances as the ledger stood at T."""
    kind, _, holder = account.partition(":")
    holder_kind = kind if kind in ("advertiser", "webmaster") else None
    with read_transaction(services) as cursor:
        sums = balances_as_of(
            services.ledger,
            cursor,
            account,
            lambda: lead_ids_of(cursor, holder_kind, holder),
            moment,
        )
    balances = {
        currency: {bucket: _amount(value, currency) for bucket, value in buckets.items()}
        for currency, buckets in sums.items()
    }
    return BalancesOut(account=account if holder_kind else NETWORK, balances=balances, as_of=moment)


def _amount(value, currency: str) -> str:
    return Money(abs(value) if value.is_zero() else value, currency).to_wire()["amount"]
