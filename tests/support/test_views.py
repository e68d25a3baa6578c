"""How the support page words money changes: signed, coloured by direction, per holder."""

from __future__ import annotations

from datetime import UTC, datetime

from app.audit.wire import EntryOut
from app.support.views import account_url, entry_line, ledger_effect, money_change
from app.wire import MoneyOut


def usd(amount: str) -> MoneyOut:
    return MoneyOut(amount=amount, currency="USD")


def entry(account: str, bucket: str, amount: str) -> EntryOut:
    return EntryOut(account, bucket, amount, "USD", False, "offer-1/reg@v1", 1, datetime.now(UTC))


def test_a_raised_commission_reads_as_a_plus_going_up():
    change = money_change("Webmaster earns", usd("10.00"), usd("12.00"))

    assert (change.delta, change.direction) == ("+2.00", "up")


def test_a_cut_payout_reads_as_a_minus_going_down():
    change = money_change("Advertiser pays", usd("15.00"), usd("5.50"))

    assert (change.delta, change.direction) == ("−9.50", "down")


def test_unchanged_money_has_no_delta():
    change = money_change("Webmaster earns", usd("10.00"), usd("10.00"))

    assert (change.delta, change.direction) == (None, "same")


def test_money_in_another_currency_is_shown_but_never_subtracted():
    change = money_change("Advertiser pays", usd("10.00"), MoneyOut("9.00", "EUR"))

    assert change.delta is None
    assert (change.before, change.after) == ("10.00 USD", "9.00 EUR")


def test_the_ledger_effect_of_a_cancel_shows_each_holder_losing_their_approved_money():
    reversal = [
        entry("advertiser:adv-1", "approved", "-15.00"),
        entry("network", "approved", "15.00"),
        entry("network", "approved", "-10.00"),
        entry("webmaster:wm-1", "approved", "10.00"),
    ]

    moved = {change.label: change.delta for change in ledger_effect(reversal)}

    assert moved == {
        "advertiser:adv-1 approved": "−15.00",
        "network approved": "−5.00",
        "webmaster:wm-1 approved": "−10.00",
    }


def test_a_webmasters_earning_stored_as_a_minus_reads_as_a_plus_to_the_webmaster():
    line = entry_line(entry("webmaster:wm-1", "pending", "-10.00"))

    assert (line.shown, line.direction, line.stored) == ("+10.00", "up", "-10.00")


def test_an_advertisers_reversed_debt_reads_as_a_minus():
    line = entry_line(entry("advertiser:adv-1", "hold", "-15.00"))

    assert (line.shown, line.direction) == ("−15.00", "down")


def test_holders_accounts_link_to_their_page_and_the_network_to_none():
    assert account_url("webmaster:wm 1/x") == "/support/accounts/webmaster/wm%201%2Fx"
    assert account_url("advertiser:adv-1") == "/support/accounts/advertiser/adv-1"
    assert account_url("network") is None
