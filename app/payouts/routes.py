"""Payouts (admin token): pay a webmaster (finance), list payouts and what is payable (support)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.auth import acting_person, require_admin
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.payouts.payables import CURSOR_PATTERN, PayablePage, after_cursor, payables
from app.payouts.paying import PayingTerms, PayoutRefused, PayoutRequest, approve, pay
from domain.money import InvalidAmount, UnknownCurrency, check_currency, parse_amount
from projections.payouts import projection as payouts

MAX_PAGE = 500


class PayoutIn(msgspec.Struct, forbid_unknown_fields=True):
    """`amount` left out pays all that is payable; `reference` is the payment's own id."""

    webmaster: str
    currency: str
    reference: str
    amount: str | None = None


class PayoutOut(msgspec.Struct):
    """`state`: booked, or pending_approval (over LEDGER_FOUR_EYES_OVER: another person must
    approve it before it is booked)."""

    id: str
    webmaster: str
    currency: str
    amount: str
    reference: str
    state: str
    requested_by: str
    approved_by: str | None


class PayoutRow(msgspec.Struct):
    id: str
    webmaster: str
    currency: str
    amount: str
    reference: str
    paid_by: str
    paid_at: datetime
    position: int


class PayoutPage(msgspec.Struct):
    items: list[PayoutRow]
    next_cursor: str | None


class PayoutController(Controller):
    """Money paid out to webmasters, booked in the ledger against the network's cash."""

    path = "/api"
    guards = [require_admin]
    tags = ["payouts"]

    @post(
        "/payouts",
        sync_to_thread=True,
        status_code=201,
        opt={"role": "finance"},
        summary="Pay a webmaster (idempotent by reference)",
        responses=error_responses(
            *ADMIN_ROUTE, "bad_request", "not_found", "conflict", "unprocessable"
        ),
    )
    def pay_webmaster(self, request: Request, data: JSONBody[PayoutIn]) -> PayoutOut:
        services = request.app.state.services
        wanted = _request(data)
        if wanted.webmaster not in services.catalog.current().webmasters:
            raise NotFoundException(f"no webmaster {wanted.webmaster!r} in the catalog")
        actor = acting_person(request)
        settings = services.settings
        try:
            taken = pay(
                services.ledger, wanted, actor, settings.projection_wait_seconds,
                settings.four_eyes_over, terms(services),
            )  # fmt: skip
        except PayoutRefused as refused:
            raise ClientException(str(refused), status_code=refused.status) from refused
        return payout_out(taken)

    @post(
        "/payouts/{payout:uuid}/approve",
        sync_to_thread=True,
        status_code=200,
        opt={"role": "finance"},
        summary="Approve a payout pending approval (four eyes): it is booked now",
        responses=error_responses(*ADMIN_ROUTE, "forbidden", "not_found", "conflict"),
    )
    def approve_payout(self, request: Request, payout: FromPath[UUID]) -> PayoutOut:
        services = request.app.state.services
        actor = acting_person(request)
        try:
            taken = approve(
                services.ledger, payout, actor, services.settings.projection_wait_seconds,
                terms(services),
            )  # fmt: skip
        except PayoutRefused as refused:
            if refused.status == 403:
                raise PermissionDeniedException(str(refused)) from refused
            if refused.status == 404:
                raise NotFoundException(str(refused)) from refused
            raise ClientException(str(refused), status_code=refused.status) from refused
        return payout_out(taken)

    @get(
        "/payouts",
        sync_to_thread=True,
        opt={"role": "support"},
        summary="Payouts, the latest first",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def list_payouts(
        self,
        request: Request,
        webmaster: FromQuery[str | None] = None,
        cursor: Annotated[
            int | None,
            QueryParameter(ge=1, le=2**63 - 1, description="next_cursor of the previous page"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> PayoutPage:
        with request.app.state.services.ledger.recorder.datastore.transaction(commit=False) as db:
            rows = payouts.newest(db, webmaster or None, cursor, limit + 1)
        items = [
            PayoutRow(
                str(r["id"]),
                r["webmaster"],
                r["currency"],
                str(r["amount"]),
                r["reference"],
                r["paid_by"],
                r["paid_at"],
                r["position"],
            )  # fmt: skip
            for r in rows[:limit]
        ]
        return PayoutPage(items, str(items[-1].position) if len(rows) > limit else None)

    @get(
        "/payables",
        sync_to_thread=True,
        opt={"role": "support"},
        summary="What each webmaster can be paid now in a currency, below its minimum, locked;"
        " by webmaster, paged",
        responses=error_responses(*ADMIN_ROUTE, "bad_request", "unprocessable"),
    )
    def list_payables(
        self,
        request: Request,
        currency: FromQuery[str],
        cursor: Annotated[
            str | None,
            QueryParameter(description="next_cursor of the previous page", pattern=CURSOR_PATTERN),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> PayablePage:
        code = _currency(currency)
        try:
            after = after_cursor(cursor) if cursor else None
        except ValueError as error:
            raise ClientException(str(error), status_code=400) from None
        services = request.app.state.services
        rules = services.catalog.current().payable_rules
        with services.ledger.recorder.datastore.transaction(commit=False) as db:
            return payables(db, code, rules, services.clock(), after, limit)


def terms(services) -> PayingTerms:
    """The catalog's lock_for and min_payout now, and the service's clock."""
    return PayingTerms(services.catalog.current().payable_rules, services.clock)


def payout_out(taken) -> PayoutOut:
    return PayoutOut(
        str(taken.id), taken.webmaster, taken.currency, taken.amount, taken.reference,
        taken.state, taken.requested_by, taken.approved_by,
    )  # fmt: skip


def _currency(code: str) -> str:
    try:
        return check_currency(code)
    except UnknownCurrency as error:
        raise ClientException(str(error), status_code=422) from error


def _request(data: PayoutIn) -> PayoutRequest:
    currency = _currency(data.currency)
    if not data.reference.strip():
        raise ClientException("reference must name the payment (its id at the bank)")
    amount = None
    if data.amount is not None:
        try:
            amount = parse_amount(data.amount, currency)
        except InvalidAmount as error:
            raise ClientException(str(error), status_code=422) from error
        if amount <= 0:
            raise ClientException("a payout must be more than zero", status_code=422)
    return PayoutRequest(data.webmaster, currency, amount, data.reference)
