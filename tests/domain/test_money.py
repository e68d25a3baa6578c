"""Money: exact amounts in ISO 4217 currencies, and the strict gate for amounts senders send."""

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import (
    CURRENCY_MINOR_UNITS,
    CurrencyMismatch,
    InvalidAmount,
    Money,
    UnknownCurrency,
    check_currency,
    parse_amount,
    quantize,
)

currencies = st.sampled_from(sorted(CURRENCY_MINOR_UNITS))


def usd(text: str) -> Money:
    return Money.of(text, "USD")


# The currency table


def test_common_currencies_have_their_iso_minor_units():
    expected = {
        "USD": 2,
        "EUR": 2,
        "RUB": 2,
        "GBP": 2,
        "JPY": 0,
        "KRW": 0,
        "KWD": 3,
        "BHD": 3,
        "TND": 3,
        "CLF": 4,
        "UYW": 4,
        "XOF": 0,
        "XAF": 0,
    }
    assert {code: CURRENCY_MINOR_UNITS[code] for code in expected} == expected


def test_the_table_holds_the_full_active_iso_list():
    assert 155 <= len(CURRENCY_MINOR_UNITS) <= 180


def test_every_code_is_three_capital_ascii_letters_with_a_plausible_minor_unit():
    for code, places in CURRENCY_MINOR_UNITS.items():
        assert code.isascii() and code.isalpha() and code.isupper() and len(code) == 3, code
        assert places in (0, 2, 3, 4), code


def test_metals_testing_and_no_currency_codes_are_not_money():
    for code in ("XAU", "XAG", "XPD", "XPT", "XTS", "XXX", "XDR"):
        assert code not in CURRENCY_MINOR_UNITS


def test_withdrawn_currencies_are_not_accepted():
    for code in ("HRK", "CUC", "ZWL", "SLL", "ANG", "RUR", "VEF", "BYR"):
        assert code not in CURRENCY_MINOR_UNITS


def test_recent_replacement_currencies_are_accepted():
    for code in ("XCG", "ZWG", "SLE", "VES", "VED", "STN", "MRU"):
        assert code in CURRENCY_MINOR_UNITS


# check_currency


def test_currency_in_lower_case_with_spaces_is_normalised():
    assert check_currency(" usd ") == "USD"


def test_unknown_currency_is_rejected():
    with pytest.raises(UnknownCurrency):
        check_currency("ABC")


def test_empty_currency_is_rejected():
    with pytest.raises(UnknownCurrency):
        check_currency("")


def test_currency_spelled_with_a_non_ascii_letter_that_upper_cases_to_ascii_is_rejected():
    with pytest.raises(UnknownCurrency):
        check_currency("u\u017fd")  # LATIN SMALL LETTER LONG S upper-cases to "S"


def test_unknown_currency_message_names_the_code():
    with pytest.raises(UnknownCurrency, match="'ABC'"):
        check_currency("ABC")


def test_unknown_currency_message_shows_at_most_forty_characters_of_the_code():
    with pytest.raises(UnknownCurrency) as caught:
        check_currency("Z" * 500)
    assert "Z" * 40 in str(caught.value)
    assert "Z" * 41 not in str(caught.value)


def test_unknown_currency_is_a_value_error():
    assert issubclass(UnknownCurrency, ValueError)


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
