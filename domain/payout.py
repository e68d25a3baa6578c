"""Paying a webmaster: the Payouts aggregate of one webmaster and currency, and its references.

A payout moves money the webmaster has earned and that is payable (approved, not yet paid)
to paid, against the network's cash: in the ledger, `webmaster:<id>` approved is debited (we owe
less) and `network` paid is credited. What is payable is decided in the public method from
what the caller says the ledger has earned and what this aggregate has already paid, so two
payouts racing for one webmaster collide on this aggregate's version: one is saved, the other
decides again against the new total, and together they never pay more than was payable.

The payment's own reference (a bank transfer id) names a `PayoutReference` aggregate saved
with the payout: a reference used twice collides in the store, so a retried request finds the
first payout instead of paying twice.

Worked example: wm-1 has 10.00 USD approved and nothing paid: payable 10.00; `pay(10.00)` →
paid 10.00, payable 0.00. A November lead is then cancelled: the ledger takes the 10.00 back
(earned 0.00) and payable is 0.00 - 10.00 = -10.00. A December lead approved at 25.00 makes
earned 25.00, payable 15.00: the next payout nets the clawback.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger/payouts")
_SEPARATOR = "\x1f"


class NotPayable(ValueError):
    """The amount asked is more than is payable now (or nothing is payable)."""

    def __init__(self, asked: Decimal, payable: Decimal, currency: str) -> None:
        self.payable = payable
        super().__init__(f"{asked} {currency} asked but only {payable} {currency} is payable")


class InvalidPayoutAmount(ValueError):
    """A payout of zero or less."""


def payouts_id(webmaster: str, currency: str) -> UUID:
    return uuid5(_NAMESPACE, _SEPARATOR.join(("payouts", webmaster, currency)))


def payout_id(reference: str) -> UUID:
    """The payout made with this payment reference (at most one ever)."""
    return uuid5(_NAMESPACE, _SEPARATOR.join(("reference", reference)))


class Payouts(Aggregate):
    """What has been paid to one webmaster in one currency."""

    @classmethod
    def create_id(cls, webmaster: str, currency: str) -> UUID:
        return payouts_id(webmaster, currency)

    class Opened(Aggregate.Created):
        webmaster: str
        currency: str

    @event(Opened)
    def __init__(self, webmaster: str, currency: str) -> None:
        self.webmaster = webmaster
        self.currency = currency
        self.paid = Decimal(0)

    def payable(self, earned: Decimal) -> Decimal:
        """What may be paid now, given the approved commission the ledger says was earned."""
        return earned - self.paid

    def decide(self, earned: Decimal, amount: Decimal | None) -> Decimal:
        """The amount a payout of `amount` (default: all that is payable) would pay now."""
        payable = self.payable(earned)
        amount = payable if amount is None else amount
        if amount <= 0:
            if payable <= 0:
                raise NotPayable(amount, payable, self.currency)
            raise InvalidPayoutAmount(f"a payout must be more than zero, not {amount}")
        if amount > payable:
            raise NotPayable(amount, payable, self.currency)
        return amount

    def pay(self, earned: Decimal, amount: Decimal | None, reference: str, paid_by: str) -> Decimal:
        """Pay `amount` (default: all that is payable); the amount paid."""
        amount = self.decide(earned, amount)
        self._paid(
            payout_id(reference), reference, str(amount), self.webmaster, self.currency, paid_by
        )
        return amount

    class Paid(Aggregate.Event):
        """Money was paid out: `amount` (text, exact) in the aggregate's currency."""

        payout_id: UUID
        reference: str
        amount: str
        webmaster: str
        currency: str
        paid_by: str

    @event(Paid)
    def _paid(
        self,
        payout_id: UUID,
        reference: str,
        amount: str,
        webmaster: str,
        currency: str,
        paid_by: str,
    ) -> None:
        self.paid += Decimal(amount)


BOOKED = "booked"
PENDING_APPROVAL = "pending_approval"


class SameApprover(PermissionError):
    """Four eyes: the person who asked for a payout (or an invoice) cannot also approve it."""


class PayoutReference(Aggregate):
    """A payment reference, taken once: the payout it made and the request that made it.

    A payout over the four-eyes limit is taken `pending_approval` and booked only when another
    person approves it (`approve`); the others are taken `booked`."""

    @classmethod
    def create_id(cls, reference: str, **_: object) -> UUID:
        return payout_id(reference)

    class Taken(Aggregate.Created):
        reference: str
        webmaster: str
        currency: str
        amount: str
        asked: str | None
        state: str
        requested_by: str

    @event(Taken)
    def __init__(
        self,
        reference: str,
        webmaster: str,
        currency: str,
        amount: str,
        asked: str | None,
        state: str,
        requested_by: str,
    ) -> None:
        self.reference = reference
        self.webmaster = webmaster
        self.currency = currency
        self.amount = amount
        self.asked = asked
        self.state = state
        self.requested_by = requested_by
        self.approved_by: str | None = None

    def approve(self, approver: str) -> None:
        if approver == self.requested_by:
            raise SameApprover(f"{approver} asked for this payout: another person must approve it")
        self._approved(approver)

    class Approved(Aggregate.Event):
        approved_by: str

    @event(Approved)
    def _approved(self, approved_by: str) -> None:
        self.state = BOOKED
        self.approved_by = approved_by

    def same_request(self, webmaster: str, currency: str, asked: str | None) -> bool:
        return (self.webmaster, self.currency, self.asked) == (webmaster, currency, asked)
