"""Reading the money (admin token): a lead's commission, balances, entries and reports.

Every endpoint reads the commission ledger projection and accepts `?after=<position>` to wait
(up to 5 s) until the ledger has processed a write the client has just made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Request, get
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter

from app.audit.answers import balances_as_of_out
from app.auth import require_admin
from app.eventstore.replica import read_transaction
from app.ledger.answers import balances_out, commission_out, entry_out, report_out
from app.ledger.wire import BalancesOut, CommissionOut, CommissionReport, EntryPage
from app.openapi.errors import ADMIN_ROUTE, error_responses
from domain.ledger import NETWORK, advertiser_account, webmaster_account
from projections.commission_ledger import reads as ledger_reads
from projections.commission_ledger.projection import PROJECTION_NAME
from projections.periods.reads import entry_periods

MAX_PAGE = 1000
# A lead posts a handful of entries per postback; this is far beyond any real lead's history.
MAX_LEAD_ENTRIES = 100_000
After = Annotated[
    int,
    QueryParameter(
        ge=0, description="Wait (up to 5 s) until the ledger has processed this position"
    ),
]
_ONE_ACCOUNT = "Name exactly one of webmaster, advertiser or network (empty is not named)"
Grouping = Literal["offer", "webmaster", "advertiser", "day"]
From = Annotated[datetime | None, QueryParameter(name="from", description="Inclusive start")]
To = Annotated[datetime | None, QueryParameter(name="to", description="Exclusive end")]


def _read(request: Request, after: int):
    """A read-only cursor on the ledger, once it has processed `after` (if given)."""
    return read_transaction(request.app.state.services, PROJECTION_NAME, after)


class LedgerController(Controller):
    """The commission ledger as its holders and auditors read it."""

    path = "/api"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["ledger"]

    @get(
        "/leads/{lead_id:uuid}/commission",
        sync_to_thread=True,
        summary="A lead's current amounts and its ledger entries",
        responses=error_responses(*ADMIN_ROUTE, "not_found"),
    )
    def lead_commission(
        self, request: Request, lead_id: FromPath[UUID], after: After = 0
    ) -> CommissionOut:
        with _read(request, after) as cursor:
            row = ledger_reads.lead_row(cursor, lead_id)
            lines = ledger_reads.entries(
                cursor, ledger_reads.EntryFilter(lead=lead_id), None, MAX_LEAD_ENTRIES
            )
            periods = entry_periods(cursor)
        if row is None:
            raise NotFoundException(f"lead {lead_id} is not in the ledger (yet)")
        return commission_out(row, lines, periods)

    @get(
        "/balances",
        sync_to_thread=True,
        summary="An account's balance per currency and bucket",
        description="Name exactly one account: webmaster=…, advertiser=… or network=1 "
        "(an empty name counts as not given); anything else is answered 400 `bad_request`.",
        responses=error_responses(*ADMIN_ROUTE, "bad_request"),
    )
    def balances(
        self,
        request: Request,
        webmaster: Annotated[str | None, QueryParameter(description=_ONE_ACCOUNT)] = None,
        advertiser: Annotated[str | None, QueryParameter(description=_ONE_ACCOUNT)] = None,
        network: Annotated[
            bool, QueryParameter(description=f"true (or 1): the network's margin. {_ONE_ACCOUNT}")
        ] = False,
        after: After = 0,
        as_of: Annotated[
            datetime | None,
            QueryParameter(description="Balances as the ledger stood at this moment (ISO 8601)"),
        ] = None,
    ) -> BalancesOut:
        account = _one_account(webmaster, advertiser, network)
        if as_of is not None:  # recomputed from the event store: see app.audit.as_of
            past = balances_as_of_out(request.app.state.services, account, as_of)
            return BalancesOut(account=account, balances=past.balances)
        with _read(request, after) as cursor:
            return balances_out(account, ledger_reads.balances_of(cursor, account))

    @get(
        "/ledger",
        sync_to_thread=True,
        summary="Ledger entries in posting order, paged",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def ledger(
        self,
        request: Request,
        lead: FromQuery[UUID | None] = None,
        account: FromQuery[str | None] = None,
        start: From = None,
        end: To = None,
        cursor: Annotated[
            int | None, QueryParameter(description="next_cursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 100,
        after: After = 0,
    ) -> EntryPage:
        where = ledger_reads.EntryFilter(lead, _storable(account), start, end)
        with _read(request, after) as db:
            rows = ledger_reads.entries(db, where, cursor, limit + 1)
            periods = entry_periods(db)
        items = [entry_out(row, periods) for row in rows[:limit]]
        return EntryPage(items, items[-1].id if len(rows) > limit else None)

    @get(
        "/reports/commissions",
        sync_to_thread=True,
        summary="Leads per status and money per bucket and currency, by group",
        description="Covers the leads created in [from, to); `day` is the creation day (UTC).",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def commission_report(
        self,
        request: Request,
        group_by: Annotated[
            Grouping, QueryParameter(description="offer, webmaster, advertiser or day")
        ] = "offer",
        start: From = None,
        end: To = None,
        after: After = 0,
    ) -> CommissionReport:
        if group_by not in ledger_reads.GROUPINGS:
            raise ClientException(f"group_by must be one of {', '.join(ledger_reads.GROUPINGS)}")
        with _read(request, after) as cursor:
            counts = ledger_reads.status_counts(cursor, group_by, start, end)
            sums = ledger_reads.bucket_sums(cursor, group_by, start, end)
        return report_out(group_by, start, end, counts, sums)


def _storable(text: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL: such a name can only be a client's mistake."""
    if text is not None and "\x00" in text:
        raise ValidationException("a parameter holds a NUL character")
    return text


def _one_account(webmaster: str | None, advertiser: str | None, network: bool) -> str:
    webmaster, advertiser = _storable(webmaster), _storable(advertiser)
    chosen = [
        account
        for account in (
            webmaster_account(webmaster) if webmaster else None,
            advertiser_account(advertiser) if advertiser else None,
            NETWORK if network else None,
        )
        if account
    ]
    if len(chosen) != 1:
        raise ClientException("name exactly one of webmaster=…, advertiser=… or network=1")
    return chosen[0]
