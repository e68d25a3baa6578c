from collections import Counter
from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger import (
    NETWORK,
    Bucket,
    Entry,
    Position,
    UnknownAccount,
    bucket_for,
    entries_for,
    holder_view,
    position_of,
    posting_between,
    sums_by_currency,
)
from domain.money import Money
from domain.statuses import Status


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def a_position(**overrides) -> Position:
    fields = {
        "bucket": Bucket.PENDING,
        "advertiser": "adv1",
        "webmaster": "wm1",
        "advertiser_payout": usd("15.00"),
        "webmaster_commission": usd("10.00"),
    }
    return Position(**(fields | overrides))


def balances(entries) -> dict[tuple[str, Bucket, str], Decimal]:
    """The ledger per account, bucket and currency, without the lines that net to zero."""
    totals: Counter = Counter()
    for entry in entries:
        totals[(entry.account, entry.bucket, entry.amount.currency)] += entry.amount.amount
    return {key: total for key, total in totals.items() if total != 0}


def balances_by_account_and_currency(entries) -> dict[tuple[str, str], Decimal]:
    totals: Counter = Counter()
    for (account, _, currency), total in balances(entries).items():
        totals[(account, currency)] += total
    return dict(totals)


@pytest.mark.parametrize(
    ("status", "bucket"),
    [
        (Status.NEW, Bucket.PENDING),
        (Status.PROCESSING, Bucket.PENDING),
        (Status.HOLD, Bucket.HOLD),
        (Status.APPROVE, Bucket.APPROVED),
    ],
)
def test_each_live_status_keeps_its_money_in_its_bucket(status, bucket):
    assert bucket_for(status) == bucket


@pytest.mark.parametrize("status", [Status.CANCEL, Status.TRASH])
def test_cancelled_and_trashed_statuses_have_no_bucket(status):
    assert bucket_for(status) is None


def test_a_position_books_the_advertiser_debt_and_the_webmaster_earning_through_the_network():
    assert entries_for(a_position()) == [
        Entry("advertiser:adv1", Bucket.PENDING, usd("15.00"), reverses=False),
        Entry(NETWORK, Bucket.PENDING, -usd("15.00"), reverses=False),
        Entry(NETWORK, Bucket.PENDING, usd("10.00"), reverses=False),
        Entry("webmaster:wm1", Bucket.PENDING, -usd("10.00"), reverses=False),
    ]


def test_creating_a_lead_posts_only_the_new_entries():
    assert posting_between(None, a_position()) == entries_for(a_position())


def test_trashed_lead_holds_nothing():
    assert position_of(Status.TRASH, "adv1", "wm1", usd("15.00"), usd("10.00")) is None


def test_cancelled_lead_holds_nothing():
    assert position_of(Status.CANCEL, "adv1", "wm1", usd("15.00"), usd("10.00")) is None


def test_equal_positions_post_nothing():
    assert posting_between(a_position(), a_position()) == []


def test_the_same_amount_written_with_fewer_decimals_posts_nothing():
    written_short = a_position(advertiser_payout=Money(Decimal("15"), "USD"))
    assert posting_between(a_position(), written_short) == []


def test_no_position_before_and_after_posts_nothing():
    assert posting_between(None, None) == []


def test_zero_amount_posts_no_entry():
    free_for_the_webmaster = a_position(webmaster_commission=usd("0.00"))
    accounts = [entry.account for entry in entries_for(free_for_the_webmaster)]
    assert accounts == ["advertiser:adv1", NETWORK]


def test_a_correction_reverses_every_old_entry_before_posting_the_new_ones():
    old, new = a_position(), a_position(advertiser_payout=usd("55.00"))
    reversal = [replace(entry, amount=-entry.amount, reverses=True) for entry in entries_for(old)]
    assert posting_between(old, new) == reversal + entries_for(new)


def test_only_reversing_entries_are_marked_as_reversals():
    posting = posting_between(a_position(), a_position(bucket=Bucket.HOLD))
    assert [entry.reverses for entry in posting] == [True] * 4 + [False] * 4


def test_cancel_after_approve_reverses_the_webmaster_commission():
    approved = a_position(bucket=Bucket.APPROVED)
    ledger = entries_for(approved) + posting_between(approved, None)
    assert balances(ledger).get(("webmaster:wm1", Bucket.APPROVED, "USD"), 0) == 0
    assert Entry("webmaster:wm1", Bucket.APPROVED, usd("10.00"), reverses=True) in ledger


def test_cancel_after_approve_leaves_every_account_at_zero():
    approved = a_position(bucket=Bucket.APPROVED)
    assert balances(entries_for(approved) + posting_between(approved, None)) == {}


def test_hold_to_approve_moves_money_between_buckets_without_changing_totals():
    held, approved = a_position(bucket=Bucket.HOLD), a_position(bucket=Bucket.APPROVED)
    before = entries_for(held)
    after = before + posting_between(held, approved)
    assert balances_by_account_and_currency(after) == balances_by_account_and_currency(before)
    assert balances(after) == balances(entries_for(approved))


def test_goal_change_books_the_new_goals_amounts():
    old = a_position(bucket=Bucket.APPROVED)
    new = replace(old, advertiser_payout=usd("55.00"), webmaster_commission=usd("40.00"))
    ledger = entries_for(old) + posting_between(old, new)
    assert balances(ledger) == balances(entries_for(new))


def test_payout_and_commission_in_different_currencies_each_sum_to_zero():
    mixed = a_position(webmaster_commission=Money.of("9.00", "EUR"))
    assert sums_by_currency(entries_for(mixed)) == {"USD": Decimal(0), "EUR": Decimal(0)}


def test_payout_and_commission_in_different_currencies_are_never_netted_in_the_network():
    mixed = a_position(webmaster_commission=Money.of("9.00", "EUR"))
    network = {entry.amount for entry in entries_for(mixed) if entry.account == NETWORK}
    assert network == {-usd("15.00"), Money.of("9.00", "EUR")}


def test_a_lead_without_any_amount_has_no_position():
    assert position_of(Status.APPROVE, "adv1", "wm1", None, None) is None


def test_a_lead_with_only_a_payout_books_only_the_advertisers_side():
    position = position_of(Status.APPROVE, "adv1", "wm1", Money.of("15.00", "EUR"), None)
    accounts = [entry.account for entry in entries_for(position)]
    assert accounts == ["advertiser:adv1", NETWORK]


def test_a_missing_commission_counts_as_zero_in_the_payouts_currency():
    position = position_of(Status.APPROVE, "adv1", "wm1", Money.of("15.00", "EUR"), None)
    assert position.webmaster_commission == Money.of("0", "EUR")


def test_a_lead_with_only_a_commission_books_only_the_webmasters_side():
    position = position_of(Status.HOLD, "adv1", "wm1", None, usd("10.00"))
    accounts = [entry.account for entry in entries_for(position)]
    assert accounts == [NETWORK, "webmaster:wm1"]


def test_position_of_a_live_lead_carries_its_bucket_and_parties():
    position = position_of(Status.PROCESSING, "adv1", "wm1", usd("15.00"), usd("10.00"))
    assert position == a_position(bucket=Bucket.PENDING)


def test_the_sums_of_no_entries_are_empty():
    assert sums_by_currency([]) == {}


def test_a_webmaster_sees_what_it_has_earned():
    assert holder_view("webmaster:wm1", Decimal("-10.00")) == Decimal("10.00")


def test_an_advertiser_sees_what_it_owes():
    assert holder_view("advertiser:adv1", Decimal("15.00")) == Decimal("15.00")


def test_the_network_sees_its_margin():
    network_sum = sum(e.amount.amount for e in entries_for(a_position()) if e.account == NETWORK)
    assert holder_view(NETWORK, network_sum) == Decimal("5.00")


def test_an_unknown_account_has_no_holder_view():
    with pytest.raises(UnknownAccount):
        holder_view("affiliate:x", Decimal("1"))


def test_the_worked_example_ends_with_nothing_held():
    steps = [
        (Status.NEW, "15", "10"),
        (Status.HOLD, "15", "10"),
        (Status.APPROVE, "15", "10"),
        (Status.APPROVE, "55", "40"),
        (Status.CANCEL, "55", "40"),
    ]
    positions = [position_of(s, "A", "W", usd(p), usd(w)) for s, p, w in steps]
    postings = [posting_between(old, new) for old, new in pairwise([None, *positions])]
    assert [len(posting) for posting in postings] == [4, 8, 8, 8, 4]
    assert balances(entry for posting in postings for entry in posting) == {}


# The worked example of domain/ledger.py's docstring, written out by hand: each step's status,
# payout and commission, and the posting it must give as (account, bucket, amount, reverses).
WORKED_EXAMPLE = [
    (Status.NEW, "15.00", "10.00", [
        ("advertiser:A", "pending", "15.00", False), ("network", "pending", "-15.00", False),
        ("network", "pending", "10.00", False), ("webmaster:W", "pending", "-10.00", False),
    ]),
    (Status.HOLD, "15.00", "10.00", [
        ("advertiser:A", "pending", "-15.00", True), ("network", "pending", "15.00", True),
        ("network", "pending", "-10.00", True), ("webmaster:W", "pending", "10.00", True),
        ("advertiser:A", "hold", "15.00", False), ("network", "hold", "-15.00", False),
        ("network", "hold", "10.00", False), ("webmaster:W", "hold", "-10.00", False),
    ]),
    (Status.APPROVE, "15.00", "10.00", [
        ("advertiser:A", "hold", "-15.00", True), ("network", "hold", "15.00", True),
        ("network", "hold", "-10.00", True), ("webmaster:W", "hold", "10.00", True),
        ("advertiser:A", "approved", "15.00", False), ("network", "approved", "-15.00", False),
        ("network", "approved", "10.00", False), ("webmaster:W", "approved", "-10.00", False),
    ]),
    (Status.APPROVE, "55.00", "40.00", [
        ("advertiser:A", "approved", "-15.00", True), ("network", "approved", "15.00", True),
        ("network", "approved", "-10.00", True), ("webmaster:W", "approved", "10.00", True),
        ("advertiser:A", "approved", "55.00", False), ("network", "approved", "-55.00", False),
        ("network", "approved", "40.00", False), ("webmaster:W", "approved", "-40.00", False),
    ]),
    (Status.CANCEL, "55.00", "40.00", [
        ("advertiser:A", "approved", "-55.00", True), ("network", "approved", "55.00", True),
        ("network", "approved", "-40.00", True), ("webmaster:W", "approved", "40.00", True),
    ]),
]  # fmt: skip


def written_out(posting: list[Entry]) -> list[tuple[str, str, str, bool]]:
    return [(e.account, e.bucket.value, str(e.amount.amount), e.reverses) for e in posting]


def test_the_worked_example_posts_exactly_the_entries_written_in_the_docstring():
    previous = None
    for status, payout, commission, expected in WORKED_EXAMPLE:
        position = position_of(status, "A", "W", usd(payout), usd(commission))
        assert written_out(posting_between(previous, position)) == expected, status
        previous = position


def test_after_the_goal_change_the_holders_read_55_owed_40_earned_and_15_margin():
    ledger = [entry for *_, posting in WORKED_EXAMPLE[:4] for entry in posting]
    sums: Counter = Counter()
    for account, _, amount, _ in ledger:
        sums[account] += Decimal(amount)

    assert holder_view("advertiser:A", sums["advertiser:A"]) == Decimal("55.00")
    assert holder_view("webmaster:W", sums["webmaster:W"]) == Decimal("40.00")
    assert holder_view(NETWORK, sums[NETWORK]) == Decimal("15.00")


def held_by_hand(position: Position | None) -> dict[tuple[str, Bucket, str], Decimal]:
    """What a position must hold, from the rule in words: the advertiser owes the payout (debit),
    the webmaster is owed the commission (credit), the network takes both the other way."""
    if position is None:
        return {}
    bucket, payout, commission = (
        position.bucket, position.advertiser_payout, position.webmaster_commission
    )  # fmt: skip
    held: Counter = Counter()
    held[(f"advertiser:{position.advertiser}", bucket, payout.currency)] += payout.amount
    held[(NETWORK, bucket, payout.currency)] -= payout.amount
    held[(NETWORK, bucket, commission.currency)] += commission.amount
    held[(f"webmaster:{position.webmaster}", bucket, commission.currency)] -= commission.amount
    return {key: amount for key, amount in held.items() if amount != 0}


CURRENCIES = ["USD", "EUR", "GBP", "RUB"]

amounts = st.one_of(
    st.none(),
    st.builds(
        Money,
        st.decimals(min_value=0, max_value=10000, places=2, allow_nan=False, allow_infinity=False),
        st.sampled_from(CURRENCIES),
    ),
)

positions = st.builds(
    position_of,
    st.sampled_from(list(Status)),
    st.sampled_from(["adv1", "adv2"]),
    st.sampled_from(["wm1", "wm2"]),
    amounts,
    amounts,
)


@given(st.lists(positions, max_size=12))
def test_any_history_of_positions_keeps_the_ledger_balanced_and_equal_to_the_final_position(
    history,
):
    ledger: list[Entry] = []
    previous = None
    for position in history:
        ledger += posting_between(previous, position)
        assert all(total == 0 for total in sums_by_currency(ledger).values())
        for (account, bucket, _), total in balances(ledger).items():
            if account.startswith(("webmaster:", "advertiser:")):
                # as its holder reads it: earned by a webmaster, owed by an advertiser
                assert holder_view(account, total) > 0, (account, bucket, total)  # never negative
        previous = position
    assert balances(ledger) == held_by_hand(previous)
