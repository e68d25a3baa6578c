"""Paying a webmaster what is payable: decided on the Payouts aggregate, saved with its reference.

Get → decide → save, retried when another payout for the same webmaster and currency was saved
in between (the aggregate's version collides): each try decides again against the new total, so
payouts racing each other never pay more than was payable. A payout waits for the ledger to
have booked everything stored before it (so a fresh approval counts, and so does a fresh
cancel), and is refused while a period is being closed (`app.periods.closing.CLOSE_LOCK`), so
that a close never seals half of what a payout is doing.

Four eyes (LEDGER_FOUR_EYES_OVER): a payout over the limit of its currency is only recorded,
`pending_approval`; it is booked, against what is payable then, when another person approves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from app.eventstore.application import LedgerApplication
from app.periods.closing import payouts_may_book
from domain.ledger import webmaster_account
from domain.payable_rules import PayableRules
from domain.payout import (
    BOOKED,
    PENDING_APPROVAL,
    InvalidPayoutAmount,
    NotPayable,
    PayoutReference,
    Payouts,
    SameApprover,
    payout_id,
)
from projections.commission_ledger.projection import PROJECTION_NAME as LEDGER
from projections.lead_view.projection import LEAD_VIEW_TABLE as LEAD_VIEW
from projections.payouts.payable import payable_money
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PayingTerms:
    """The catalog's `lock_for` and `min_payout` (domain.payable_rules) and the clock that says
    which approvals are past their lock."""

    rules: PayableRules = field(default_factory=PayableRules)
    clock: Callable[[], datetime] = _utc_now

    def locks(self) -> dict:
        return {offer: self.rules.lock_of(offer) for offer in self.rules.lock_for}


def pay(
    ledger: LedgerApplication,
    request: PayoutRequest,
    actor: str,
    wait_seconds: float,
    four_eyes_over: dict[str, Decimal] | None = None,
    terms: PayingTerms | None = None,
) -> PayoutReference:
    """The payout made for `request.reference` (made now, or earlier by the same request).
    Below the webmaster's `min_payout` in the currency it is refused (409)."""
    earlier = _earlier(ledger, request)
    if earlier is not None:
        return earlier
    terms = terms or PayingTerms()
    limit = (four_eyes_over or {}).get(request.currency)
    minimum = terms.rules.minimum(request.webmaster, request.currency)

    def decide(payouts: Payouts, earned: Decimal) -> tuple[list, PayoutReference]:
        amount = _checked(lambda: payouts.decide(earned, request.amount))
        if minimum is not None and amount < minimum:
            raise PayoutRefused(
                409,
                f"{amount} {request.currency} is below the minimum payout of {minimum} "
                f"{request.currency} for {request.webmaster}",
            )
        state = PENDING_APPROVAL if limit is not None and amount > limit else BOOKED
        taken = PayoutReference(
            reference=request.reference, webmaster=request.webmaster,
            currency=request.currency, amount=str(amount), asked=request.asked, state=state,
            requested_by=actor,
        )  # fmt: skip
        if state == PENDING_APPROVAL:
            return [taken], taken
        _checked(lambda: payouts.pay(earned, amount, request.reference, actor))
        return [payouts, taken], taken

    try:
        return _booking(ledger, request.webmaster, request.currency, wait_seconds, decide, terms)
    except IntegrityError:
        earlier = _earlier(ledger, request)
        if earlier is not None:
            return earlier  # the same request, retried while the first was saved
        raise


def approve(
    ledger: LedgerApplication,
    payout: UUID,
    approver: str,
    wait_seconds: float,
    terms: PayingTerms | None = None,
) -> PayoutReference:
    """Book a payout pending approval, as another person than the one who asked for it."""
    taken = ledger.get_or_none(payout)
    if not isinstance(taken, PayoutReference):
        raise PayoutRefused(404, f"no payout {payout}")
    if taken.state == BOOKED:
        return taken

    def decide(payouts: Payouts, earned: Decimal) -> tuple[list, PayoutReference]:
        fresh = ledger.get_or_none(payout)
        if fresh.state == BOOKED:
            return [], fresh
        try:
            fresh.approve(approver)
        except SameApprover as refused:
            raise PayoutRefused(403, str(refused)) from refused
        amount = Decimal(fresh.amount)
        _checked(lambda: payouts.pay(earned, amount, fresh.reference, fresh.requested_by))
        return [payouts, fresh], fresh

    try:
        return _booking(
            ledger, taken.webmaster, taken.currency, wait_seconds, decide, terms or PayingTerms()
        )
    except IntegrityError as raced:
        fresh = ledger.get_or_none(payout)
        if fresh.state == BOOKED:
            return fresh  # approved by another request at the same moment
        raise PayoutRefused(409, "the payout changed while approving; try again") from raced


Decision = Callable[[Payouts, Decimal], tuple[list, PayoutReference]]


def _booking(
    ledger: LedgerApplication,
    webmaster: str,
    currency: str,
    wait_seconds: float,
    decide: Decision,
    terms: PayingTerms,
) -> PayoutReference:
    """Run `decide` on the webmaster's payouts and what they earned (approved and past its
    offer's lock), save what it changed; again if another payout for them was saved in between.
    An IntegrityError left is a reference's."""
    stored = ledger.recorder.max_notification_id() or 0
    wait_for_position(ledger, LEDGER, stored, wait_seconds)
    wait_for_position(ledger, LEAD_VIEW, stored, wait_seconds)  # the offers, for lock_for
    account = webmaster_account(webmaster)
    for _ in range(_TRIES):
        with ledger.recorder.datastore.transaction(commit=False) as cursor:
            if not payouts_may_book(cursor):
                raise PayoutRefused(409, "a period is being closed; pay when the close is done")
            rows = payable_money(cursor, currency, terms.clock(), terms.locks(), account)
            if not rows or not rows[0]["leads"]:
                raise PayoutRefused(422, f"{webmaster} has no money in {currency} to pay")
            payouts = ledger.get_or_none(Payouts.create_id(webmaster, currency)) or Payouts(
                webmaster=webmaster, currency=currency
            )
            changed, answer = decide(payouts, rows[0]["earned"])
            if not changed:
                return answer
            try:
                ledger.save(*changed)
                return answer
            except IntegrityError:
                if payouts not in changed or _version_moved(ledger, payouts) is False:
                    raise
    raise PayoutRefused(409, f"payouts to {webmaster} are busy; try again")


def _version_moved(ledger: LedgerApplication, payouts: Payouts) -> bool:
    """Whether another payout for the same webmaster was saved since `payouts` was read."""
    stored = ledger.get_or_none(payouts.id)
    return stored is not None and stored.version >= payouts.version


def _checked(decision: Callable[[], Decimal]) -> Decimal:
    try:
        return decision()
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
