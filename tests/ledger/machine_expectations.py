"""Expectations of the stateful ledger machine that do not come from the code under test.

The machine (tests/ledger/test_stateful.py) checks the read models against the fold of the events
priced by the same functions the projections use, so a wrong sign there would agree with itself.
These invariants are written from the rules in words and the demo catalog's figures instead: no
balance a webmaster or an advertiser reads is negative, each lead books +payout on its
advertiser and -commission on its webmaster, and until a rate changes each side is priced at
the catalog's rate.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis.stateful import invariant

from tests.ledger_controls import balances

PARTIES = {"webmaster": ["wm-1", "wm-2"], "advertiser": ["adv-1"]}
LIVE_STATUSES = {"new", "processing", "hold", "approve"}  # the ones that hold money
# The demo catalog's rates, written out (scripts/demo-catalog.toml): (webmaster, goal) ->
# (advertiser payout, webmaster commission), in USD; wm-2 has a personal rate for reg.
DEMO_RATES = {
    ("wm-1", "reg"): ("15.00", "10.00"),
    ("wm-2", "reg"): ("15.00", "12.00"),
    ("wm-1", "dep"): ("55.00", "40.00"),
    ("wm-2", "dep"): ("55.00", "40.00"),
}


class IndependentExpectations:
    """Mixed into the machine, which provides `client`, `rates_changed`, `_query`, `_folded`."""

    @invariant()
    def no_webmaster_or_advertiser_balance_is_ever_negative(self):
        """What a webmaster has earned and an advertiser owes, as /api/balances shows them."""
        for kind in ("webmaster", "advertiser"):
            for name in PARTIES[kind]:
                for currency, buckets in balances(self.client, **{kind: name}).items():
                    for bucket, amount in buckets.items():
                        assert Decimal(amount) >= 0, (kind, name, currency, bucket, amount)

    @invariant()
    def each_live_lead_books_its_payout_as_a_debit_and_its_commission_as_a_credit(self):
        """Per lead: the advertiser's entries add up to +payout, the webmaster's to -commission,
        in the amounts its ledger row was priced at; nothing for a cancelled or trashed lead."""
        sums: dict[tuple, Decimal] = {}
        for row in self._query(
            "SELECT lead_id, split_part(account, ':', 1) AS side, currency, sum(amount) AS total "
            "FROM ledger_entries WHERE account <> 'network' GROUP BY 1, 2, 3 "
            "HAVING sum(amount) <> 0"
        ):
            sums[(row["lead_id"], row["side"], row["currency"])] = row["total"]
        expected: dict[tuple, Decimal] = {}
        for row in self._query("SELECT * FROM ledger_leads"):
            if row["status"] not in LIVE_STATUSES:
                continue
            for side, sign in (("advertiser", 1), ("webmaster", -1)):
                if row[f"{side}_amount"]:
                    key = (row["id"], side, row[f"{side}_currency"])
                    expected[key] = sign * row[f"{side}_amount"]
        assert sums == expected, f"booked {sums}, its ledger rows say {expected}"

    @invariant()
    def before_any_rate_change_each_side_is_priced_at_the_demo_rate(self):
        if self.rates_changed:
            return
        folded = self._folded()
        for row in self._query("SELECT * FROM ledger_leads"):
            state = folded[row["id"]]
            payout, commission = DEMO_RATES[(state.webmaster, state.goal)]
            wanted = (
                _or_rate(state.advertiser_payout_override, payout),
                _or_rate(state.webmaster_commission_override, commission),
            )
            priced = (
                (row["advertiser_amount"], row["advertiser_currency"]),
                (row["webmaster_amount"], row["webmaster_currency"]),
            )
            assert priced == wanted, f"lead {row['id']} priced at {priced}, the rates say {wanted}"


def _or_rate(override, rate: str) -> tuple[Decimal, str]:
    return (override.amount, override.currency) if override else (Decimal(rate), "USD")
