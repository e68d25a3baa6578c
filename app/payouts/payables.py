"""GET /api/payables: per webmaster, what can be paid now, what waits for the minimum or the lock.

`payable` is the approved money past its offer's `lock_for`, less what was paid (negative after a
clawback of paid money). It splits into exactly one of `payable_now` (at least the webmaster's
`min_payout`, or any positive amount without one), `below_minimum` (positive, under the minimum)
and `carry_over` (negative: the next payout nets it). `locked` is approved money still in its
lock, not part of `payable`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec
import psycopg

from domain.money import quantize
from domain.payable_rules import PayableRules
from projections.payouts import payable as money


class Payable(msgspec.Struct):
    """One webmaster's money in the currency asked for; amounts as the webmaster reads them."""

    webmaster: str
    currency: str
    payable: str
    payable_now: str
    below_minimum: str
    carry_over: str
    locked: str
    min_payout: str | None


def payables(
    cursor: psycopg.Cursor, currency: str, rules: PayableRules, now: datetime
) -> list[Payable]:
    locks = {offer: rules.lock_of(offer) for offer in rules.lock_for}
    items = []
    for row in money.payables(cursor, currency, now, locks):
        payable = quantize(row["payable"], currency)
        locked = quantize(row["locked"], currency)
        if not payable and not locked:
            continue
        minimum = rules.minimum(row["webmaster"], currency)
        zero = quantize(Decimal(0), currency)
        below = payable > 0 and minimum is not None and payable < minimum
        items.append(
            Payable(
                row["webmaster"],
                currency,
                str(payable),
                payable_now=str(payable if payable > 0 and not below else zero),
                below_minimum=str(payable if below else zero),
                carry_over=str(payable if payable < 0 else zero),
                locked=str(locked),
                min_payout=None if minimum is None else f"{minimum} {currency}",
            )  # fmt: skip
        )
    return items
