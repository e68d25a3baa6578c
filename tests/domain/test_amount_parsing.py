"""The strict gate for amounts senders send: plain notation, exact in the currency, or refused."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.currencies import CURRENCY_MINOR_UNITS
from domain.money import InvalidAmount, UnknownCurrency, parse_amount

currencies = st.sampled_from(sorted(CURRENCY_MINOR_UNITS))

# parse_amount


def test_plain_amount_is_quantized_to_cents():
    assert str(parse_amount("10.5", "USD")) == "10.50"


def test_whole_amount_is_quantized_to_cents():
    assert str(parse_amount("10", "USD")) == "10.00"


def test_surrounding_spaces_are_ignored():
    assert parse_amount("  10.50 ", "USD") == Decimal("10.50")


def test_comma_is_read_as_the_decimal_separator():
    assert str(parse_amount("10,50", "EUR")) == "10.50"


def test_comma_followed_by_three_digits_is_rejected_as_ambiguous():
    with pytest.raises(InvalidAmount, match="ambiguous"):
        parse_amount("1,000", "KWD")


def test_zero_is_a_valid_amount():
    assert str(parse_amount("0", "USD")) == "0.00"


def test_trailing_zeros_beyond_the_minor_units_are_accepted():
    assert str(parse_amount("10.5000", "USD")) == "10.50"


def test_amount_with_more_decimals_than_the_currency_allows_is_rejected():
    with pytest.raises(InvalidAmount, match=r"more decimal places than USD allows \(2\)"):
        parse_amount("10.005", "USD")


def test_jpy_amount_has_no_minor_units():
    assert str(parse_amount("1500", "JPY")) == "1500"


def test_jpy_amount_with_yen_fractions_is_rejected():
    with pytest.raises(InvalidAmount):
        parse_amount("1500.5", "JPY")


def test_kwd_amount_keeps_three_decimals():
    assert str(parse_amount("1.125", "KWD")) == "1.125"


def test_clf_amount_keeps_four_decimals():
    assert str(parse_amount("1.5", "CLF")) == "1.5000"


def test_amount_currency_is_checked_too():
    with pytest.raises(UnknownCurrency):
        parse_amount("10", "ABC")


def test_fifteen_integer_digits_are_accepted():
    assert parse_amount("9" * 15, "USD") == Decimal("9" * 15)


def test_sixteen_integer_digits_are_rejected():
    with pytest.raises(InvalidAmount):
        parse_amount("1" + "0" * 15, "USD")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_amount_is_rejected(text):
    with pytest.raises(InvalidAmount, match="empty"):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["-10", "+10", "-0"])
def test_signed_amount_is_rejected(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["1e3", "1E3", "1.5e-2"])
def test_exponent_amount_is_rejected(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "Infinity", "inf", "-Infinity"])
def test_not_a_number_and_infinity_are_rejected(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["1,000.50", "1 000", "1_000", "1.000,50", "1'000"])
def test_thousands_separators_are_rejected(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["\u0661\u0660", "\uff11\uff10", "\u0967\u0966", "1\u00b2"])
def test_non_ascii_digits_are_rejected(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", [".5", "10.", "0x10", "10.5.0", "$10", "10 USD"])
def test_amount_that_is_not_plain_notation_is_rejected(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text, "USD")


def test_unsubstituted_macro_is_rejected():
    with pytest.raises(InvalidAmount):
        parse_amount("{payout}", "USD")


def test_trailing_newline_after_digits_is_only_stripped_surrounding_space():
    assert parse_amount("10\n", "USD") == Decimal("10.00")


def test_invalid_amount_message_names_the_value():
    with pytest.raises(InvalidAmount, match="'12abc'"):
        parse_amount("12abc", "USD")


def test_invalid_amount_message_shows_at_most_forty_characters_of_the_value():
    with pytest.raises(InvalidAmount) as caught:
        parse_amount("x" * 500, "USD")
    assert "x" * 40 in str(caught.value)
    assert "x" * 41 not in str(caught.value)


def test_invalid_amount_is_a_value_error():
    assert issubclass(InvalidAmount, ValueError)


@given(st.text(), currencies)
def test_any_text_parses_to_a_non_negative_amount_in_minor_units_or_is_rejected(text, currency):
    try:
        amount = parse_amount(text, currency)
    except InvalidAmount:
        return
    assert amount >= 0
    assert amount.as_tuple().exponent == -CURRENCY_MINOR_UNITS[currency]


@given(st.from_regex(r"\A[0-9]{1,15}(\.[0-9]{1,6})?\Z"), currencies)
def test_any_plain_numeral_parses_or_is_refused_for_its_decimals(text, currency):
    try:
        amount = parse_amount(text, currency)
    except InvalidAmount as refusal:
        assert "more decimal places" in str(refusal)
        return
    assert amount == Decimal(text)


@given(st.decimals(min_value=0, max_value=Decimal("999999999999999"), places=2))
def test_cents_written_plainly_parse_back_to_the_same_amount(amount):
    assert parse_amount(format(amount, "f"), "USD") == amount
