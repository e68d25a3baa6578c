"""Paying a webmaster what is payable: decided on the Payouts aggregate, saved with its reference.

Get → decide → save, retried when another payout for the same webmaster and currency was saved
in between (the aggregate's version collides): each try decides again against the new total, so
payouts racing each other never pay more than was payable. A payout waits for the ledger to
have booked everything stored before it (so a fresh approval counts, and so does a fresh
cancel), and is refused while a period is being closed (`app.periods.closing.CLOSE_LOCK`), so
that a close never seals half of what a payout is doing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from eventsourcing.persistence import IntegrityError

from app.eventstore.application import LedgerApplication
from app.periods.closing import payouts_may_book
from domain.ledger import holder_view, webmaster_account
from domain.payout import InvalidPayoutAmount, NotPayable, PayoutReference, Payouts, payout_id
from projections.commission_ledger.projection import PAYOUT_EVENT
from projections.commission_ledger.projection import PROJECTION_NAME as LEDGER
from projections.runner import wait_for_position

_TRIES = 5


class PayoutRefused(Exception):
    """The payout is not made; `status` is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class PayoutRequest:
    webmaster: str
    currency: str
    amount: Decimal | None  # None: all that is payable
    reference: str

    @property
    def asked(self) -> str | None:
        return None if self.amount is None else str(self.amount)


_EARNED = (
    "SELECT coalesce(sum(amount), 0) AS total, count(*) AS entries FROM ledger_entries "
    "WHERE account = %s AND currency = %s AND bucket = 'approved' AND event_type <> %s"
)


def pay(
    ledger: LedgerApplication, request: PayoutRequest, actor: str, wait_seconds: float
) -> PayoutReference:
    """The payout made for `request.reference` (made now, or earlier by the same request)."""
    earlier = _earlier(ledger, request)
    if earlier is not None:
        return earlier
    wait_for_position(ledger, LEDGER, ledger.recorder.max_notification_id() or 0, wait_seconds)
    account = webmaster_account(request.webmaster)
    for _ in range(_TRIES):
        with ledger.recorder.datastore.transaction(commit=False) as cursor:
            if not payouts_may_book(cursor):
                raise PayoutRefused(409, "a period is being closed; pay when the close is done")
            row = cursor.execute(_EARNED, (account, request.currency, PAYOUT_EVENT)).fetchone()
            if not row["entries"]:
                raise PayoutRefused(
                    422, f"{request.webmaster} has no money in {request.currency} to pay"
                )
            payouts = ledger.get_or_none(
                Payouts.create_id(request.webmaster, request.currency)
            ) or Payouts(webmaster=request.webmaster, currency=request.currency)
            paid = _decide(payouts, holder_view(account, row["total"]), request, actor)
            taken = PayoutReference(
                reference=request.reference,
                webmaster=request.webmaster,
                currency=request.currency,
                amount=str(paid),
                asked=request.asked,
            )
            try:
                ledger.save(payouts, taken)
                return taken
            except IntegrityError:
                earlier = _earlier(ledger, request)
                if earlier is not None:
                    return earlier  # the same request, retried while the first was saved
    raise PayoutRefused(409, f"payouts to {request.webmaster} are busy; try again")


def _decide(payouts: Payouts, earned: Decimal, request: PayoutRequest, actor: str) -> Decimal:
    try:
        return payouts.pay(earned, request.amount, request.reference, actor)
    except NotPayable as refused:
        raise PayoutRefused(409, f"{refused}: payable is {refused.payable}") from refused
    except InvalidPayoutAmount as refused:
        raise PayoutRefused(422, str(refused)) from refused


def _earlier(ledger: LedgerApplication, request: PayoutRequest) -> PayoutReference | None:
    """The payout this reference already made; 409 if it was made by another request."""
    taken = ledger.get_or_none(payout_id(request.reference))
    if taken is None:
        return None
    if not taken.same_request(request.webmaster, request.currency, request.asked):
        raise PayoutRefused(
            409,
            f"reference {request.reference!r} already paid {taken.amount} {taken.currency} to "
            f"{taken.webmaster} with another request",
        )
    return taken
