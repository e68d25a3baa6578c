"""The commission ledger's invariants, for `audit check` (see `app.audit.check`).

- Double entry: the entries sum to zero per currency, overall and within every posting.
- Balances: `ledger_balances` equals the sums of the entries per account, bucket and currency.
- Views against events: a lead's entries add up, per account, bucket and currency, to the
  entries that book the position its folded events give under the current catalog (payouts,
  invoices and payments move no lead: `account_postings`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from uuid import UUID

import psycopg

from domain.catalog_view import CatalogView
from domain.lead_state import LeadState, amounts_of
from domain.ledger import entries_for, position_of
from projections.commission_ledger.account_postings import ACCOUNT_EVENTS

_Key = tuple[str, str, str]  # account, bucket, currency


def ledger_violations(
    cursor: psycopg.Cursor, states: dict[UUID, LeadState], catalog: CatalogView, checked: dict
) -> list[str]:
    count = cursor.execute("SELECT count(*) AS n FROM ledger_entries").fetchone()
    checked["ledger entries"] = count["n"]
    return [
        *_unbalanced_currencies(cursor),
        *_unbalanced_postings(cursor),
        *_balances_differing_from_entries(cursor),
        *_leads_differing_from_events(cursor, states, catalog),
    ]


def _unbalanced_currencies(cursor: psycopg.Cursor) -> list[str]:
    rows = cursor.execute(
        "SELECT currency, sum(amount) AS total FROM ledger_entries GROUP BY currency "
        "HAVING sum(amount) <> 0"
    ).fetchall()
    return [f"ledger: entries in {r['currency']} sum to {r['total']}, not zero" for r in rows]


def _unbalanced_postings(cursor: psycopg.Cursor) -> list[str]:
    rows = cursor.execute(
        "SELECT posting_id, currency, sum(amount) AS total FROM ledger_entries "
        "GROUP BY posting_id, currency HAVING sum(amount) <> 0"
    ).fetchall()
    return [
        f"ledger: posting {r['posting_id']} sums to {r['total']} {r['currency']}, not zero"
        for r in rows
    ]


def _balances_differing_from_entries(cursor: psycopg.Cursor) -> list[str]:
    if cursor.execute("SELECT to_regclass('ledger_balances') IS NULL AS absent").fetchone()[
        "absent"
    ]:
        return []
    rows = cursor.execute(
        """SELECT coalesce(b.account, e.account) AS account, coalesce(b.bucket, e.bucket) AS bucket,
                  coalesce(b.currency, e.currency) AS currency,
                  coalesce(b.amount, 0) AS balance, coalesce(e.total, 0) AS total
           FROM ledger_balances b
           FULL OUTER JOIN (SELECT account, bucket, currency, sum(amount) AS total
                            FROM ledger_entries GROUP BY 1, 2, 3) e
             ON (b.account, b.bucket, b.currency) = (e.account, e.bucket, e.currency)
           WHERE coalesce(b.amount, 0) <> coalesce(e.total, 0)"""
    ).fetchall()
    return [
        f"ledger: balance of {r['account']} {r['bucket']} {r['currency']} is {r['balance']}, "
        f"its entries sum to {r['total']}"
        for r in rows
    ]


def _leads_differing_from_events(
    cursor: psycopg.Cursor, states: dict[UUID, LeadState], catalog: CatalogView
) -> list[str]:
    booked: dict[UUID, dict[_Key, Decimal]] = defaultdict(dict)
    for row in cursor.execute(
        "SELECT lead_id, account, bucket, currency, sum(amount) AS total FROM ledger_entries "
        "WHERE event_type <> ALL(%s) GROUP BY 1, 2, 3, 4 HAVING sum(amount) <> 0",
        (list(ACCOUNT_EVENTS),),
    ):
        booked[row["lead_id"]][(row["account"], row["bucket"], row["currency"])] = row["total"]
    problems = [
        f"lead {lead_id}: has ledger entries but no events" for lead_id in booked.keys() - states
    ]
    for lead_id, state in states.items():
        wanted = _expected(state, catalog)
        held = booked.get(lead_id, {})
        if held != wanted:
            problems.append(
                f"lead {lead_id}: ledger books {_show(held)}, its events say {_show(wanted)}"
            )
    return problems


def _expected(state: LeadState, catalog: CatalogView) -> dict[_Key, Decimal]:
    amounts = amounts_of(state, catalog)
    position = position_of(
        state.status,
        state.advertiser,
        state.webmaster,
        amounts.advertiser_payout,
        amounts.webmaster_commission,
    )
    sums: dict[_Key, Decimal] = defaultdict(Decimal)
    for entry in entries_for(position):
        sums[(entry.account, entry.bucket.value, entry.amount.currency)] += entry.amount.amount
    return {key: total for key, total in sums.items() if total != 0}


def _show(sums: dict[_Key, Decimal]) -> str:
    if not sums:
        return "nothing"
    return "; ".join(f"{a} {b} {amount} {c}" for (a, b, c), amount in sorted(sums.items()))
