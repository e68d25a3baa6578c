"""Invoices (admin token): issue one from a closed period, record payments (finance), list them.

An invoice is drawn from the advertiser's sealed statement (the Period event, not a read
model), once per advertiser, period and currency; its id is derived from those, so issuing it
twice collides in the store and is told. Payments are idempotent by their reference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError
from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import FromPath, JSONBody, QueryParameter

from app.auth import acting_person, require_admin
from app.invoices import issuing
from app.openapi.errors import ADMIN_ROUTE, error_responses
from domain.invoice import DUE_AFTER, Invoice, PaymentRefused, lines_from, payment_id
from domain.ledger import advertiser_account
from domain.money import InvalidAmount, parse_amount
from domain.pending_invoice import PENDING_APPROVAL, PendingInvoice
from domain.period import period_id
from projections.invoices import projection as invoices

MAX_PAGE = 500


class InvoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    """`currency` is needed only when the advertiser's statement has several."""

    advertiser: str
    period: int
    currency: str | None = None


class PaymentIn(msgspec.Struct, forbid_unknown_fields=True):
    amount: str
    reference: str


class InvoiceOut(msgspec.Struct):
    """`state`: open, paid, or pending_approval (over LEDGER_FOUR_EYES_OVER: not issued, booked
    nor payable until another person approves it; its `id` is the invoice's to be)."""

    id: str
    advertiser: str
    period: int
    currency: str
    lines: list[dict]
    total: str
    received: str
    outstanding: str
    state: str
    due_at: datetime
    days_overdue: int = 0
    payment_id: str | None = None  # on a payment's answer: the payment's own id
    issued_by: str = ""  # who asked for it
    approved_by: str | None = None  # four eyes: who approved it, over LEDGER_FOUR_EYES_OVER


class InvoicePage(msgspec.Struct):
    items: list[InvoiceOut]
    next_cursor: str | None


class InvoiceController(Controller):
    """Advertisers' invoices, drawn from sealed statements."""

    path = "/api/invoices"
    guards = [require_admin]
    tags = ["invoices"]

    @post(
        sync_to_thread=True,
        status_code=201,
        opt={"role": "finance"},
        summary="Issue an advertiser's invoice for a closed period",
        responses=error_responses(*ADMIN_ROUTE, "not_found", "conflict", "unprocessable"),
    )
    def issue(self, request: Request, data: JSONBody[InvoiceIn]) -> InvoiceOut:
        services = request.app.state.services
        ledger = services.ledger
        closed = ledger.get_or_none(period_id(data.period)) if data.period > 0 else None
        if closed is None:
            raise NotFoundException(f"no closed period {data.period}")
        statement = _statement(closed.statements, data)
        currency = statement["currency"]
        limit = services.settings.four_eyes_over.get(currency)
        made = _refusing(lambda: issuing.issue(
            ledger, data.advertiser, data.period, currency, lines_from(statement),
            acting_person(request), limit,
        ))  # fmt: skip
        return pending_out(made) if isinstance(made, PendingInvoice) else invoice_out(made)

    @post(
        "/{invoice:uuid}/approve",
        sync_to_thread=True,
        status_code=200,
        opt={"role": "finance"},
        summary="Approve an invoice pending approval (four eyes): it is issued and booked now",
        responses=error_responses(*ADMIN_ROUTE, "forbidden", "not_found", "conflict"),
    )
    def approve(self, request: Request, invoice: FromPath[UUID]) -> InvoiceOut:
        ledger = request.app.state.services.ledger
        return invoice_out(
            _refusing(lambda: issuing.approve(ledger, invoice, acting_person(request)))
        )

    @post(
        "/{invoice:uuid}/payments",
        sync_to_thread=True,
        status_code=201,
        opt={"role": "finance"},
        summary="Record money received for an invoice (idempotent by reference)",
        responses=error_responses(*ADMIN_ROUTE, "not_found", "conflict", "unprocessable"),
    )
    def receive(
        self, request: Request, invoice: FromPath[UUID], data: JSONBody[PaymentIn]
    ) -> InvoiceOut:
        ledger = request.app.state.services.ledger
        found = ledger.get_or_none(invoice)
        if not isinstance(found, Invoice) and issuing.waiting(ledger, invoice):
            raise ClientException(
                f"invoice {invoice} awaits approval: it takes payments once approved",
                status_code=409,
            )
        if not isinstance(found, Invoice):
            raise NotFoundException(f"no invoice {invoice}")
        try:
            amount = parse_amount(data.amount, found.currency)
        except InvalidAmount as error:
            raise ClientException(str(error), status_code=422) from error
        reference = data.reference.strip() or "-"
        try:
            if found.receive(amount, reference):
                ledger.save(found)
        except PaymentRefused as refused:
            raise ClientException(str(refused), status_code=refused.status) from refused
        except IntegrityError as raced:
            raise ClientException(
                "the invoice changed meanwhile; try again", status_code=409
            ) from raced
        answer = invoice_out(found)
        answer.payment_id = str(payment_id(found.id, reference))
        return answer

    @get(
        sync_to_thread=True,
        opt={"role": "support"},
        summary="Invoices, the latest first, with days overdue",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def list_invoices(
        self,
        request: Request,
        wanted: Annotated[Literal["open", "paid"] | None, QueryParameter(name="state")] = None,
        cursor: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> InvoicePage:
        services = request.app.state.services
        with services.ledger.recorder.datastore.transaction(commit=False) as db:
            rows = invoices.listed(db, wanted, cursor, limit + 1, datetime.now(UTC))
        items = [_row_out(row) for row in rows[:limit]]
        more = len(rows) > limit
        return InvoicePage(items, str(rows[limit - 1]["position"]) if more else None)


def _statement(statements: list[dict], data: InvoiceIn) -> dict:
    account = advertiser_account(data.advertiser)
    mine = [s for s in statements if s["account"] == account]
    if data.currency is not None:
        mine = [s for s in mine if s["currency"] == data.currency.upper()]
    if not mine:
        raise ClientException(
            f"{data.advertiser} has no money in period {data.period}"
            + (f" in {data.currency}" if data.currency else ""),
            status_code=422,
        )
    if len(mine) > 1:
        currencies = ", ".join(s["currency"] for s in mine)
        raise ClientException(f"name the currency: the statement has {currencies}", status_code=422)
    return mine[0]


def _refusing(change):
    try:
        return change()
    except issuing.InvoiceRefused as refused:
        if refused.status == 403:
            raise PermissionDeniedException(str(refused)) from refused
        if refused.status == 404:
            raise NotFoundException(str(refused)) from refused
        raise ClientException(str(refused), status_code=refused.status) from refused


def invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut(
        str(invoice.id), invoice.advertiser, invoice.period, invoice.currency, invoice.lines,
        invoice.total, str(invoice.received), str(invoice.outstanding), invoice.state,
        invoice.due_at, issued_by=invoice.issued_by, approved_by=invoice.approved_by,
    )  # fmt: skip


def pending_out(pending: PendingInvoice) -> InvoiceOut:
    """A pending invoice as it will be when approved: nothing received, due 30 days after."""
    return InvoiceOut(
        str(pending.invoice), pending.advertiser, pending.period, pending.currency,
        pending.lines, pending.total, "0", pending.total, PENDING_APPROVAL,
        datetime.now(UTC) + DUE_AFTER, issued_by=pending.requested_by,
    )  # fmt: skip


def _row_out(row: dict) -> InvoiceOut:
    outstanding = row["total"] - row["received"]
    return InvoiceOut(
        str(row["id"]), row["advertiser"], row["period"], row["currency"], row["lines"],
        str(row["total"]), str(row["received"]), str(outstanding),
        "open" if outstanding > 0 else "paid", row["due_at"], row["days_overdue"],
        issued_by=row["issued_by"], approved_by=row["approved_by"],
    )  # fmt: skip
