"""GET /api/payables: per webmaster, what can be paid now, what waits for the minimum or the lock.

`payable` is the approved money past its offer's `lock_for`, less what was paid (negative after a
clawback of paid money). It splits into exactly one of `payable_now` (at least the webmaster's
`min_payout`, or any positive amount without one), `below_minimum` (positive, under the minimum)
and `carry_over` (negative: the next payout nets it). `locked` is approved money still in its
lock, not part of `payable`.

It pages as the other lists do: webmasters in account order, `limit` of them, and `next_cursor`
(the last account of the page, opaque to the caller) to pass back as `cursor`; null on the last
page. Only the page is read (projections/payouts/payable.py). A webmaster with nothing payable
and nothing locked is left out, so a page may hold fewer than `limit`: the end is a null cursor.
"""

from __future__ import annotations

import base64
import binascii
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


class PayablePage(msgspec.Struct):
    items: list[Payable]
    next_cursor: str | None


# Base64url of the page's last account, unpadded: the schema states exactly these characters.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


def page_cursor(account: str) -> str:
    return base64.urlsafe_b64encode(account.encode()).decode().rstrip("=")


def after_cursor(text: str) -> str:
    """The account a cursor names; ValueError if this service did not give it out."""
    try:
        account = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        account = ""
    if not account.startswith("webmaster:") or "\x00" in account:
        raise ValueError("cursor: not a cursor this service gave (use `next_cursor` as it is)")
    return account


def payables(
    cursor: psycopg.Cursor,
    currency: str,
    rules: PayableRules,
    now: datetime,
    after: str | None,
    limit: int,
) -> PayablePage:
    """A page of `limit` webmasters after the account `after` (None: from the first)."""
    locks = {offer: rules.lock_of(offer) for offer in rules.lock_for}
    rows = money.payables(cursor, currency, now, locks, after, limit + 1)
    following = page_cursor(rows[limit - 1]["account"]) if len(rows) > limit else None
    return PayablePage(_shown(rows[:limit], currency, rules), following)


def _shown(rows: list[dict], currency: str, rules: PayableRules) -> list[Payable]:
    items = []
    for row in rows:
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
