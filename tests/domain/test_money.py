"""Money: exact amounts in ISO 4217 currencies, rounded to their minor units, added exactly and
written on the wire as strings. Currency codes: test_currencies.py; senders' amounts:
test_amount_parsing.py."""

import decimal
from decimal import Decimal

import pytest

from domain.money import (
    CurrencyMismatch,
    InvalidAmount,
    Money,
    UnknownCurrency,
    quantize,
)


def usd(text: str) -> Money:
    return Money.of(text, "USD")


# quantize


def test_quantize_rounds_half_up_to_the_minor_units():
    assert str(quantize(Decimal("10.005"), "USD")) == "10.01"


def test_quantize_gives_no_minor_units_for_jpy():
    assert str(quantize(Decimal("10.4"), "JPY")) == "10"


def test_quantize_never_gives_a_negative_zero():
    assert str(quantize(Decimal("-0.001"), "USD")) == "0.00"


def test_quantize_ignores_the_callers_decimal_context():
    with decimal.localcontext() as context:
        context.prec = 3
        context.rounding = decimal.ROUND_DOWN
        assert str(quantize(Decimal("12345.675"), "USD")) == "12345.68"


def test_quantize_refuses_a_float():
    with pytest.raises(TypeError):
        quantize(10.5, "USD")


def test_quantize_refuses_infinity():
    with pytest.raises(InvalidAmount):
        quantize(Decimal("Infinity"), "USD")


# Money


def test_money_refuses_a_float_amount():
    with pytest.raises(TypeError):
        Money(10.5, "USD")


def test_money_refuses_an_unknown_currency():
    with pytest.raises(UnknownCurrency):
        Money(Decimal("10"), "ABC")


def test_money_refuses_not_a_number():
    with pytest.raises(InvalidAmount):
        Money(Decimal("NaN"), "USD")


def test_money_normalises_its_currency_code():
    assert Money(Decimal("1"), "usd").currency == "USD"


def test_money_of_text_goes_through_the_strict_parser():
    with pytest.raises(InvalidAmount):
        Money.of("1e3", "USD")


def test_money_of_a_decimal_keeps_it():
    assert Money.of(Decimal("1.5"), "EUR") == Money(Decimal("1.5"), "EUR")


def test_money_is_immutable():
    with pytest.raises(AttributeError):
        usd("1").amount = Decimal("2")  # type: ignore[misc]


def test_equal_amounts_written_differently_are_equal_money():
    assert Money(Decimal("10.5"), "USD") == Money(Decimal("10.50"), "USD")


def test_negated_money_is_the_reversal():
    assert -usd("10.50") == Money(Decimal("-10.50"), "USD")


def test_negating_money_ignores_the_callers_decimal_context():
    with decimal.localcontext() as context:
        context.prec = 2
        assert -usd("1234.56") == Money(Decimal("-1234.56"), "USD")


def test_adding_money_in_one_currency_sums_the_amounts():
    assert usd("10.50") + usd("0.75") == usd("11.25")


def test_a_reversal_cancels_the_original():
    assert (usd("10.50") + -usd("10.50")).is_zero()


def test_adding_money_in_different_currencies_is_refused():
    with pytest.raises(CurrencyMismatch):
        usd("1") + Money.of("1", "EUR")


def test_currency_mismatch_is_a_value_error():
    assert issubclass(CurrencyMismatch, ValueError)


def test_adding_a_bare_number_to_money_is_a_type_error():
    with pytest.raises(TypeError):
        usd("1") + Decimal("1")  # type: ignore[operator]


def test_adding_money_ignores_the_callers_decimal_context():
    with decimal.localcontext() as context:
        context.prec = 2
        assert usd("1234.56") + usd("0.01") == usd("1234.57")


def test_non_zero_money_is_not_zero():
    assert not usd("0.01").is_zero()


def test_zero_money_is_zero():
    assert usd("0").is_zero()


def test_money_on_the_wire_is_a_string_amount_with_the_currency():
    assert usd("10").to_wire() == {"amount": "10.00", "currency": "USD"}


def test_wire_amount_is_quantized_to_the_currency_minor_units():
    assert Money(Decimal("1.5"), "KWD").to_wire() == {"amount": "1.500", "currency": "KWD"}


def test_wire_amount_for_jpy_has_no_decimal_point():
    assert Money(Decimal("1500"), "JPY").to_wire()["amount"] == "1500"


def test_wire_amount_never_uses_exponent_notation():
    assert Money(Decimal("1E+3"), "USD").to_wire()["amount"] == "1000.00"


def test_wire_amount_of_a_reversed_zero_is_plain_zero():
    assert (-usd("0")).to_wire()["amount"] == "0.00"


def test_wire_amount_of_a_reversal_is_negative():
    assert (-usd("10.5")).to_wire()["amount"] == "-10.50"
