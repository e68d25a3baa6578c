"""An invoice waiting for a second person's approval (four eyes, `LEDGER_FOUR_EYES_OVER`).

An invoice whose total is over the limit of its currency is not issued: what it would be is kept
here, `pending_approval`, and nothing is booked. When another person approves it, the Invoice is
issued from it (named by its asker as `issued_by`, by the approver as `approved_by`) and booked
then. Its id is derived from the invoice's own, so asking twice collides in the store and the
approval finds it from the invoice id the asker was given.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.invoice import invoice_id
from domain.payout import PENDING_APPROVAL, SameApprover

__all__ = ["PENDING_APPROVAL", "PendingInvoice", "pending_invoice_id"]


def pending_invoice_id(invoice: UUID) -> UUID:
    return uuid5(invoice, "pending approval")


class PendingInvoice(Aggregate):
    """The invoice one person asked for, until another approves it."""

    @classmethod
    def create_id(cls, advertiser: str, period: int, currency: str, **_: object) -> UUID:
        return pending_invoice_id(invoice_id(advertiser, period, currency))

    class Requested(Aggregate.Created):
        advertiser: str
        period: int
        currency: str
        lines: list
        total: str
        requested_by: str

    @event(Requested)
    def __init__(
        self, advertiser: str, period: int, currency: str, lines: list, total: str,
        requested_by: str,
    ) -> None:  # fmt: skip
        self.advertiser = advertiser
        self.period = period
        self.currency = currency
        self.lines = lines
        self.total = total
        self.requested_by = requested_by
        self.approved_by: str | None = None

    @property
    def invoice(self) -> UUID:
        return invoice_id(self.advertiser, self.period, self.currency)

    def approve(self, approver: str) -> None:
        if approver == self.requested_by:
            raise SameApprover(f"{approver} asked for this invoice: another person must approve it")
        self._approved(approver)

    class Approved(Aggregate.Event):
        approved_by: str

    @event(Approved)
    def _approved(self, approved_by: str) -> None:
        self.approved_by = approved_by
