"""The currency table and the currency gate: which ISO 4217 codes are money, and to what places."""

import pytest

from domain.currencies import CURRENCY_MINOR_UNITS
from domain.money import UnknownCurrency, check_currency

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
