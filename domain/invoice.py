"""The Invoice aggregate: what an advertiser owes for one closed period, and what it has paid.

An invoice is drawn from the advertiser's sealed statement of a closed period, never from the
live ledger, so it cannot change after it is issued (Everflow's "synchronize" overwrites an
issued invoice; we do not). Its total is what the approved money the advertiser owes moved by
in the period. Changes to leads of earlier periods (already invoiced) are listed as their own
credit (negative) or debit lines with their causes, so the next invoice carries them.

Worked example: October invoiced 15.00 USD for lead L. In November L is cancelled and lead M is
approved at 55.00: November's invoice has the line "approved in the period" 55.00 and a credit
line -15.00 (clawed back, cause `postback:<id>`): total 40.00. Payments may come in parts, each
named by its reference; a reference given again with the same amount is the same payment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger/invoices")
DUE_AFTER = timedelta(days=30)  # net 30
OPEN, PAID = "open", "paid"
# The movement kind of an invoice booked in the ledger (approved -> invoiced): billing what was
# approved is not approving more, so the next invoice leaves it out.
BILLED = "invoiced"


class PaymentRefused(ValueError):
    """A payment the invoice cannot take; `status` says how the edge should answer."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def invoice_id(advertiser: str, period: int, currency: str) -> UUID:
    return uuid5(_NAMESPACE, "\x1f".join((advertiser, str(period), currency)))


def payment_id(invoice: UUID, reference: str) -> UUID:
    """A payment's own id: one per invoice and reference, so a repeated call names it again."""
    return uuid5(invoice, reference)


def lines_from(statement: dict) -> list[dict]:
    """The invoice lines of an advertiser's statement: the approved money the period moved, less
    the changes to leads of earlier periods, then each of those as a line with its cause."""
    bucket = "approved"
    moved = sum(
        (
            Decimal(m["amount"])
            for m in statement["movements"]
            if m["bucket"] == bucket and m["kind"] != BILLED
        ),
        Decimal(0),
    )
    late = [a for a in statement.get("adjustments", []) if a["bucket"] == bucket]
    carried = sum((Decimal(a["amount"]) for a in late), Decimal(0))
    lines = [{"kind": "approved in the period", "amount": str(moved - carried), "cause": None}]
    for adjustment in late:
        amount = Decimal(adjustment["amount"])
        lines.append(
            {
                "kind": ("debit" if amount > 0 else "credit") + f": {adjustment['kind']}",
                "amount": adjustment["amount"],
                "cause": f"lead {adjustment['lead']}, {adjustment['cause']}",
            }
        )
    return lines


class Invoice(Aggregate):
    """One advertiser's invoice for one closed period in one currency."""

    @classmethod
    def create_id(cls, advertiser: str, period: int, currency: str, **_: object) -> UUID:
        return invoice_id(advertiser, period, currency)

    class Issued(Aggregate.Created):
        advertiser: str
        period: int
        currency: str
        lines: list
        total: str
        due_at: datetime
        issued_by: str
        approved_by: str | None

    @event(Issued)
    def __init__(
        self,
        advertiser: str,
        period: int,
        currency: str,
        lines: list,
        total: str,
        due_at: datetime,
        issued_by: str,
        approved_by: str | None = None,  # four eyes: who approved it (events before have none)
    ) -> None:
        self.advertiser = advertiser
        self.period = period
        self.currency = currency
        self.lines = lines
        self.total = total
        self.due_at = due_at
        self.issued_by = issued_by
        self.approved_by = approved_by
        self.payments: dict[str, str] = {}

    @property
    def received(self) -> Decimal:
        return sum((Decimal(a) for a in self.payments.values()), Decimal(0))

    @property
    def outstanding(self) -> Decimal:
        return Decimal(self.total) - self.received

    @property
    def state(self) -> str:
        return PAID if self.outstanding <= 0 else OPEN

    def receive(self, amount: Decimal, reference: str) -> bool:
        """Record a payment; False when this reference was already recorded with this amount."""
        if reference in self.payments:
            if Decimal(self.payments[reference]) == amount:
                return False
            raise PaymentRefused(
                409, f"reference {reference!r} already paid {self.payments[reference]}"
            )
        if amount <= 0:
            raise PaymentRefused(422, "a payment must be more than zero")
        if amount > self.outstanding:
            raise PaymentRefused(
                409, f"{amount} {self.currency} is more than the {self.outstanding} outstanding"
            )
        self._received(reference, str(amount))
        return True

    class PaymentReceived(Aggregate.Event):
        reference: str
        amount: str

    @event(PaymentReceived)
    def _received(self, reference: str, amount: str) -> None:
        self.payments[reference] = amount
