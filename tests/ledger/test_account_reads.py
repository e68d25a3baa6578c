"""The commission ledger's reads for an account page: entries newest first, balances over time."""

from __future__ import annotations

from decimal import Decimal

from projections.commission_ledger import reads
from tests.controls import change, create, new_click


def approved_lead(demo, services) -> None:
    click = new_click(demo)
    create(demo, click=click)
    change(demo, click=click, status="hold")
    change(demo, click=click, status="approve")
    services.runner.catch_up()


def test_an_accounts_entries_page_backwards_from_the_newest(demo, services):
    approved_lead(demo, services)
    where = reads.EntryFilter(account="webmaster:wm-1")
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        every = reads.entries(cursor, where, None, 100)
        first = reads.entries_newest_first(cursor, where, None, 2)
        second = reads.entries_newest_first(cursor, where, first[-1]["id"], 100)

    assert [row["id"] for row in first + second] == [row["id"] for row in reversed(every)]
    assert len(every) == 5  # pending; pending reversed, hold; hold reversed, approved


def test_the_balance_series_ends_at_the_accounts_balances_as_the_holder_reads_them(demo, services):
    approved_lead(demo, services)
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        unit, points = reads.balance_series(cursor, "webmaster:wm-1")
        balances = reads.balances_of(cursor, "webmaster:wm-1")

    last = {(point["bucket"], point["currency"]): point["amount"] for point in points}
    assert unit == "second"  # written within moments of each other
    assert last == {("pending", "USD"): 0, ("hold", "USD"): 0, ("approved", "USD"): 10}
    assert balances["USD"]["approved"] == last[("approved", "USD")] == Decimal("10.00")


def test_an_account_without_entries_has_no_series(services):
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        assert reads.balance_series(cursor, "webmaster:nobody") == ("day", [])
