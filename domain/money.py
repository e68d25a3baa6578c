"""Money for the commission ledger: an exact Decimal amount in an ISO 4217 currency.

Amounts arrive from postbacks as text (`pay=10.50&cc=USD`); `parse_amount` is the one strict gate
they pass. Floats never enter: they cannot hold cents exactly. Which codes are currencies, and
their minor units, is the table in `domain.currencies`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation

from domain.currencies import CURRENCY_MINOR_UNITS

# Fifteen integer digits is more than any single payout needs; the cap keeps absurd input out.
_PLAIN_AMOUNT = re.compile(
    r"(?P<units>\d{1,15})(?:(?P<separator>[.,])(?P<fraction>\d+))?", re.ASCII
)

# Our own contexts, so that a caller changing the thread's decimal context cannot change our sums.
# Sums must be exact: a sum too long to hold raises instead of rounding away a cent.
_EXACT = Context(prec=34, traps=[InvalidOperation, Inexact])
_ROUNDING = Context(prec=34, rounding=ROUND_HALF_UP, traps=[InvalidOperation])

_SHOWN_CHARS = 40


def _shown(value: object) -> str:
    """A value as an error message shows it: quoted and cut short, as senders may send anything."""
    text = str(value)
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "..."
    return repr(text)


class InvalidAmount(ValueError):
    """An amount that is not a plain, exact, non-negative number in its currency."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"invalid amount {_shown(value)}: {reason}")


class UnknownCurrency(ValueError):
    """A currency code that is not an active ISO 4217 code."""

    def __init__(self, code: object) -> None:
        self.code = code
        super().__init__(f"unknown currency {_shown(code)}: not an active ISO 4217 currency code")


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined; converting is not this module's job."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot add {right} to {left}: the currencies differ")


def check_currency(code: str) -> str:
    """The upper-case ISO 4217 code, or UnknownCurrency."""
    # ASCII first: str.upper() turns some non-ASCII letters into ASCII ones ("uſd" -> "USD").
    if not isinstance(code, str) or not code.isascii():
        raise UnknownCurrency(code)
    normalised = code.strip().upper()
    if normalised not in CURRENCY_MINOR_UNITS:
        raise UnknownCurrency(code)
    return normalised


def _minor_unit_exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-CURRENCY_MINOR_UNITS[currency])


def quantize(amount: Decimal, currency: str) -> Decimal:
    """The amount rounded (half up) to the currency's minor units; zero is never negative."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise InvalidAmount(amount, "not a finite number")
    exponent = _minor_unit_exponent(check_currency(currency))
    try:
        rounded = amount.quantize(exponent, context=_ROUNDING)
    except InvalidOperation:
        raise InvalidAmount(amount, "too many digits to store") from None
    # A reversed zero (-0.00) must read and compare as the zero it is.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _match_plain_amount(text: object) -> re.Match[str]:
    if not isinstance(text, str):
        raise InvalidAmount(text, "not text")
    if not text.strip():
        raise InvalidAmount(text, "empty")
    match = _PLAIN_AMOUNT.fullmatch(text.strip())
    if match is None:
        raise InvalidAmount(text, "not a plain non-negative decimal number such as 10.50")
    return match


def _check_unambiguous_comma(text: str, match: re.Match[str]) -> None:
    # "1,000" may be a thousand with a thousands separator or one with a decimal comma.
    if match["separator"] == "," and len(match["fraction"]) == 3:
        raise InvalidAmount(text, "a comma followed by three digits is ambiguous; use a dot")


def parse_amount(text: str, currency: str) -> Decimal:
    """A sender's amount text as an exact Decimal in the currency's minor units.

    Accepts plain notation only ("10", "10.50", "10,50"), because anything looser lets a typo or
    an unsubstituted macro become money. Never rounds: extra non-zero decimals are refused.
    """
    currency = check_currency(currency)
    match = _match_plain_amount(text)
    _check_unambiguous_comma(text, match)
    amount = Decimal(f"{match['units']}.{match['fraction'] or '0'}")
    quantized = quantize(amount, currency)
    if quantized != amount:
        places = CURRENCY_MINOR_UNITS[currency]
        raise InvalidAmount(text, f"more decimal places than {currency} allows ({places})")
    return quantized


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Negative amounts are allowed: they record reversals."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money needs a Decimal amount, not {type(self.amount).__name__}")
        if not self.amount.is_finite():
            raise InvalidAmount(self.amount, "not a finite number")
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def of(cls, amount: str | Decimal, currency: str) -> Money:
        """Money from a Decimal as it is, or from text through the strict `parse_amount`."""
        if isinstance(amount, str):
            return cls(parse_amount(amount, currency), currency)
        return cls(amount, currency)

    def __neg__(self) -> Money:
        return Money(self.amount.copy_negate(), self.currency)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)
        return Money(_EXACT.add(self.amount, other.amount), self.currency)

    def is_zero(self) -> bool:
        return self.amount.is_zero()

    def to_wire(self) -> dict[str, str]:
        """The JSON shape: the amount as a string, so that no client reads it as a float."""
        return {
            "amount": format(quantize(self.amount, self.currency), "f"),
            "currency": self.currency,
        }
