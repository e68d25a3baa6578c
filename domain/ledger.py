"""The double-entry rules of the commission ledger: which entries a lead's change posts.

A lead holds a *commission position*: the bucket its status puts the money in, what the advertiser
pays us (P) and what we owe the webmaster (W). The ledger never updates a figure in place: every
change of status, goal, payout or applicable rate posts the reversal of the old position's entries
followed by the new position's entries. Entries are signed, debit positive, and each side of a
position goes through the network account in its own currency, so every posting sums to zero per
currency and no exchange rate is ever invented. Pure: no I/O, no clock.

Worked example, for a lead of advertiser `A` sent by webmaster `W` (P = payout, W = commission):

1. Created with status new, P = 15.00 USD, W = 10.00 USD. Position: pending, 15/10.
       advertiser:A  pending   +15.00 USD
       network       pending   -15.00 USD
       network       pending   +10.00 USD
       webmaster:W   pending   -10.00 USD
2. Status hold. Position: hold, 15/10. The pending entries are reversed (reverses=True), then:
       advertiser:A  pending   -15.00 USD  (reverses)
       network       pending   +15.00 USD  (reverses)
       network       pending   -10.00 USD  (reverses)
       webmaster:W   pending   +10.00 USD  (reverses)
       advertiser:A  hold      +15.00 USD
       network       hold      -15.00 USD
       network       hold      +10.00 USD
       webmaster:W   hold      -10.00 USD
3. Status approve. Position: approved, 15/10. The same eight entries with hold reversed and
   approved posted: the money moves between buckets, the totals per account stay the same.
4. Goal changed to one paying P = 55.00 USD, W = 40.00 USD. Position: approved, 55/40.
       advertiser:A  approved  -15.00 USD  (reverses)
       network       approved  +15.00 USD  (reverses)
       network       approved  -10.00 USD  (reverses)
       webmaster:W   approved  +10.00 USD  (reverses)
       advertiser:A  approved  +55.00 USD
       network       approved  -55.00 USD
       network       approved  +40.00 USD
       webmaster:W   approved  -40.00 USD
   Seen by their holders (`holder_view`): A owes 55.00, W has earned 40.00, the network's margin
   is 15.00, all in the approved bucket.
5. Status cancel. No position: only the reversal is posted.
       advertiser:A  approved  -55.00 USD  (reverses)
       network       approved  +55.00 USD  (reverses)
       network       approved  -40.00 USD  (reverses)
       webmaster:W   approved  +40.00 USD  (reverses)
   Every account and bucket now sums to zero: a cancelled lead holds nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from domain.money import Money
from domain.statuses import Status

NETWORK = "network"
_ADVERTISER_PREFIX = "advertiser:"
_WEBMASTER_PREFIX = "webmaster:"


class UnknownAccount(ValueError):
    """An account name that is none of `advertiser:<id>`, `webmaster:<id>` or `network`."""

    def __init__(self, account: str) -> None:
        self.account = account
        super().__init__(f"unknown ledger account {account!r}")


class Bucket(enum.StrEnum):
    """Where a lead's money sits while its status decides whether it will be paid."""

    PENDING = "pending"
    HOLD = "hold"
    APPROVED = "approved"


_BUCKET_OF_STATUS: dict[Status, Bucket] = {
    Status.NEW: Bucket.PENDING,
    Status.PROCESSING: Bucket.PENDING,
    Status.HOLD: Bucket.HOLD,
    Status.APPROVE: Bucket.APPROVED,
}


def bucket_for(status: Status) -> Bucket | None:
    """The bucket a lead of this status holds money in; None for cancel and trash."""
    return _BUCKET_OF_STATUS.get(status)


def advertiser_account(advertiser: str) -> str:
    return f"{_ADVERTISER_PREFIX}{advertiser}"


def webmaster_account(webmaster: str) -> str:
    return f"{_WEBMASTER_PREFIX}{webmaster}"


@dataclass(frozen=True, slots=True)
class Position:
    """What one lead holds in the ledger now: its bucket and both sides of its commission."""

    bucket: Bucket
    advertiser: str
    webmaster: str
    advertiser_payout: Money
    webmaster_commission: Money


@dataclass(frozen=True, slots=True)
class Entry:
    """One signed line of a posting, debit positive; `reverses` marks the undoing of an old one."""

    account: str
    bucket: Bucket
    amount: Money
    reverses: bool = False

    def reversed(self) -> Entry:
        return Entry(self.account, self.bucket, -self.amount, reverses=True)


def position_of(
    status: Status,
    advertiser: str,
    webmaster: str,
    advertiser_payout: Money | None,
    webmaster_commission: Money | None,
) -> Position | None:
    """The position of a lead, or None when its status holds nothing or no amount is known.

    A missing side counts as zero in the known side's currency, and zero amounts post no entry:
    a lead with only a payout books only the advertiser's side. Nothing is ever converted.
    """
    bucket = bucket_for(status)
    if bucket is None or (advertiser_payout is None and webmaster_commission is None):
        return None
    payout = _or_zero_like(advertiser_payout, webmaster_commission)
    commission = _or_zero_like(webmaster_commission, advertiser_payout)
    return Position(bucket, advertiser, webmaster, payout, commission)


def _or_zero_like(amount: Money | None, known: Money | None) -> Money:
    if amount is not None:
        return amount
    assert known is not None, "position_of returns None before both sides are missing"
    return Money(Decimal(0), known.currency)


def entries_for(position: Position | None) -> list[Entry]:
    """The entries that book a position: the advertiser's side, then the webmaster's side."""
    return [] if position is None else list(_booking(_exact_key(position)))


def posting_between(old: Position | None, new: Position | None) -> list[Entry]:
    """The posting that moves a lead from its old position to the new one.

    The old entries are reversed in full and the new ones posted, so that the ledger keeps the
    history of every correction. Positions that book the same entries post nothing, so replaying
    an unchanged lead adds nothing to the ledger.
    """
    old_key = None if old is None else _exact_key(old)
    new_key = None if new is None else _exact_key(new)
    old_entries = () if old_key is None else _booking(old_key)
    new_entries = () if new_key is None else _booking(new_key)
    if old_entries == new_entries:
        return []
    return [*(() if old_key is None else _reversal(old_key)), *new_entries]


_ExactKey = tuple[Bucket, str, str, str, str, str, str]


def _exact_key(position: Position) -> _ExactKey:
    """A position down to the digits and exponent of its amounts (a Decimal's text keeps both).

    Equal Decimals may differ in scale (15.0 and 15.00), and the entries keep the amount as it
    is; keying the memo by value alone could hand one the other's scale.
    """
    payout, commission = position.advertiser_payout, position.webmaster_commission
    return (
        position.bucket, position.advertiser, position.webmaster,
        payout.currency, str(payout.amount),
        commission.currency, str(commission.amount),
    )  # fmt: skip


# Leads share a handful of positions (one per rate, status bucket and account pair): building
# the same immutable entries again for each event was most of a replay's posting cost.
@lru_cache(maxsize=8192)
def _booking(key: _ExactKey) -> tuple[Entry, ...]:
    bucket, advertiser, webmaster, payout_currency, payout, commission_currency, commission = key
    payout_money = Money(Decimal(payout), payout_currency)
    commission_money = Money(Decimal(commission), commission_currency)
    lines = (
        Entry(advertiser_account(advertiser), bucket, payout_money),
        Entry(NETWORK, bucket, -payout_money),
        Entry(NETWORK, bucket, commission_money),
        Entry(webmaster_account(webmaster), bucket, -commission_money),
    )
    return tuple(entry for entry in lines if not entry.amount.is_zero())


@lru_cache(maxsize=8192)
def _reversal(key: _ExactKey) -> tuple[Entry, ...]:
    return tuple(entry.reversed() for entry in _booking(key))


def sums_by_currency(entries: Iterable[Entry]) -> dict[str, Decimal]:
    """The signed sum of the entries per currency; a balanced ledger has only zeros here."""
    sums: dict[str, Decimal] = {}
    for entry in entries:
        currency = entry.amount.currency
        sums[currency] = sums.get(currency, Decimal(0)) + entry.amount.amount
    return sums


def holder_view(account: str, signed_sum: Decimal) -> Decimal:
    """An account's signed ledger sum as its holder reads it, so that a positive figure is normal.

    - `webmaster:<id>`: what the webmaster has earned from us (credits, so minus the sum);
    - `advertiser:<id>`: what the advertiser owes us (debits, so the sum as it is);
    - `network`: our margin, payouts received less commissions owed (minus the sum).
    """
    if account.startswith(_ADVERTISER_PREFIX):
        return signed_sum
    if account.startswith(_WEBMASTER_PREFIX) or account == NETWORK:
        return -signed_sum
    raise UnknownAccount(account)
