"""Payable rules: when approved commission may be paid, and the least a payout may be.

- `lock_for` of an offer (`"30d"`, `"72h"`, `"0"`; default 0): an approved commission of a lead of
  the offer becomes payable once it has stayed approved that long, measured from the approval's
  booking time (Impact's, CJ's and Awin's "lock"). A cancel inside the lock reverses money never
  payable; a cancel after it is a clawback.
- `min_payout` of a webmaster (one `"50.00 USD"` or a list, one per currency): a payout below it
  is refused, and what is payable below it is shown apart (`below_minimum`).

Both are read from the catalog in force when the money is counted (a payout or a payables read):
a change of `lock_for` applies to all approved money not yet paid, never to payouts made.

Pure: no I/O, no clock (the caller gives the time).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from domain.money import InvalidAmount, UnknownCurrency, check_currency, parse_amount

MAX_LOCK = timedelta(days=3650)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LOCK = re.compile(r"\A\s*([+-]?\d+)\s*([smhd]?)\s*\Z")


class BadPayableRule(ValueError):
    """A `lock_for` or `min_payout` the catalog refuses."""


def parse_lock(text: str) -> timedelta:
    """`"30d"` → 30 days; `"0"` → no lock. Raises BadPayableRule for anything else, a negative
    or over 3650 days."""
    match = _LOCK.match(text)
    if match is None or (match.group(2) == "" and int(match.group(1)) != 0):
        raise BadPayableRule(
            f"{text!r} is not a duration: a whole number and s, m, h or d ('30d'), or 0"
        )
    number = int(match.group(1))
    if number < 0:
        raise BadPayableRule(f"{text!r} must not be negative")
    lock = timedelta(seconds=number * _UNITS.get(match.group(2), 1))
    if lock > MAX_LOCK:
        raise BadPayableRule(f"{text!r} is longer than 3650 days")
    return lock


def parse_minimums(value: str | list[str]) -> dict[str, Decimal]:
    """`"50.00 USD"` or `["50.00 USD", "40.00 EUR"]` → {currency: amount}; one per currency."""
    minimums: dict[str, Decimal] = {}
    for text in [value] if isinstance(value, str) else value:
        parts = text.split()
        if len(parts) != 2:
            raise BadPayableRule(f"{text!r} is not an amount and a currency ('50.00 USD')")
        try:
            currency = check_currency(parts[1])
            amount = parse_amount(parts[0], currency)
        except (InvalidAmount, UnknownCurrency) as error:
            raise BadPayableRule(f"{text!r}: {error}") from error
        if amount < 0:
            raise BadPayableRule(f"{text!r} must not be negative")
        if currency in minimums:
            raise BadPayableRule(f"{currency} is given twice")
        minimums[currency] = amount
    return minimums


def lock_problems(path: str, lock_for: str | None) -> list[str]:
    if lock_for is None:
        return []
    try:
        parse_lock(lock_for)
    except BadPayableRule as error:
        return [f"{path}.lock_for: {error}"]
    return []


def minimum_problems(path: str, min_payout: str | list[str] | None) -> list[str]:
    if min_payout is None:
        return []
    try:
        parse_minimums(min_payout)
    except BadPayableRule as error:
        return [f"{path}.min_payout: {error}"]
    return []


@dataclass(frozen=True)
class PayableRules:
    """Each offer's `lock_for` (as written) and each webmaster's minimums, as the catalog keeps
    them; offers and webmasters without a rule are left out."""

    lock_for: Mapping[str, str] = field(default_factory=dict)
    min_payout: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def lock_of(self, offer: str) -> timedelta:
        text = self.lock_for.get(offer)
        return timedelta(0) if text is None else parse_lock(text)

    def minimum(self, webmaster: str, currency: str) -> Decimal | None:
        texts = self.min_payout.get(webmaster)
        return None if not texts else parse_minimums(list(texts)).get(currency)
