"""Issuing an invoice, or keeping it for a second person's approval (four eyes).

An invoice over `LEDGER_FOUR_EYES_OVER` in its currency is kept as a `PendingInvoice`: nothing
is booked and no payment is taken until another person approves it; then the Invoice is issued
from it, the approval and the invoice saved together (so neither stands without the other).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from app.eventstore.application import LedgerApplication
from domain.invoice import DUE_AFTER, Invoice, invoice_id
from domain.payout import SameApprover
from domain.pending_invoice import PendingInvoice, pending_invoice_id


class InvoiceRefused(Exception):
    """The invoice is not issued or approved; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def issue(
    ledger: LedgerApplication, advertiser: str, period: int, currency: str, lines: list[dict],
    actor: str, limit: Decimal | None,
) -> Invoice | PendingInvoice:  # fmt: skip
    """The invoice issued now, or (over `limit`) kept pending approval; 409 if either exists."""
    total = sum((Decimal(line["amount"]) for line in lines), Decimal(0))
    invoice = invoice_id(advertiser, period, currency)
    made: Invoice | PendingInvoice
    if limit is not None and total > limit:
        made = PendingInvoice(advertiser=advertiser, period=period, currency=currency,
                              lines=lines, total=str(total), requested_by=actor)  # fmt: skip
        if ledger.get_or_none(invoice) is not None:
            raise _issued_already(advertiser, period, currency, invoice)
    else:
        made = Invoice(
            advertiser=advertiser, period=period, currency=currency, lines=lines,
            total=str(total), due_at=datetime.now(UTC) + DUE_AFTER, issued_by=actor,
        )  # fmt: skip
    try:
        ledger.save(made)
    except IntegrityError as taken:
        raise _issued_already(advertiser, period, currency, invoice) from taken
    return made


def approve(ledger: LedgerApplication, invoice: UUID, approver: str) -> Invoice:
    """Issue a pending invoice as another person than its asker (the invoice, if issued)."""
    issued = ledger.get_or_none(invoice)
    if isinstance(issued, Invoice):
        return issued
    pending = ledger.get_or_none(pending_invoice_id(invoice))
    if not isinstance(pending, PendingInvoice):
        raise InvoiceRefused(404, f"no invoice {invoice} waits for approval")
    try:
        pending.approve(approver)
    except SameApprover as refused:
        raise InvoiceRefused(403, str(refused)) from refused
    made = Invoice(
        advertiser=pending.advertiser, period=pending.period, currency=pending.currency,
        lines=pending.lines, total=pending.total, due_at=datetime.now(UTC) + DUE_AFTER,
        issued_by=pending.requested_by, approved_by=approver,
    )  # fmt: skip
    try:
        ledger.save(pending, made)
    except IntegrityError as raced:
        issued = ledger.get_or_none(invoice)
        if isinstance(issued, Invoice):
            return issued  # approved by another request at the same moment
        raise InvoiceRefused(409, "the invoice changed while approving; try again") from raced
    return made


def waiting(ledger: LedgerApplication, invoice: UUID) -> bool:
    """Whether `invoice` is pending approval (asked for, not issued yet)."""
    return ledger.get_or_none(pending_invoice_id(invoice)) is not None


def _issued_already(advertiser: str, period: int, currency: str, invoice: UUID) -> InvoiceRefused:
    return InvoiceRefused(
        409, f"invoice {invoice} was already issued (or asked for, awaiting approval) for "
        f"{advertiser}, period {period}, {currency}",
    )  # fmt: skip
