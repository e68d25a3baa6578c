"""Reads for an account's balances at a moment T from the nearest close, not from the beginning.

A closed period's statement holds the account's closing balance per currency and bucket, drawn
from exactly the entries inside the period's bounds (`projections.periods.entries`): position
at most `covers_through` and booked before `until`. So the balances at T are the closing
balances of the latest period with `until <= T` plus the account's entries outside those bounds
booked by T:
- (A) booked in `[until, T]`: the `(account, recorded_at)` index reads only those;
- (B) booked before `until` but reached by the ledger after the close (`position >
  covers_through`): rare (a close that did not wait long enough for the ledger). Over time
  and position both, so it is a box in the GiST index of (position, booking time) points:
  a btree over either would read every entry before `until` or every one after the close.
Both sets are disjoint and neither overlaps the closed bounds, so nothing is counted twice and
nothing is left out: the closed bounds only grow, so every closed entry lies inside the latest
close's bounds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import psycopg

from projections.commission_ledger.schema import LATE_POINT

Sums = dict[str, dict[str, Decimal]]  # currency -> bucket -> signed ledger sum (not holder's view)


def latest_close(cursor: psycopg.Cursor, moment: datetime) -> dict | None:
    """The latest closed period that ended at or before `moment` (None: none had)."""
    return cursor.execute(
        "SELECT number, until, covers_through FROM periods WHERE until <= %s "
        "ORDER BY number DESC LIMIT 1",
        (moment,),
    ).fetchone()


def closing_documents(cursor: psycopg.Cursor, number: int, account: str) -> list[str]:
    """The account's statements (JSON text) in period `number`, one per currency."""
    rows = cursor.execute(
        "SELECT document FROM period_statements WHERE number = %s AND account = %s",
        (number, account),
    ).fetchall()
    return [row["document"] for row in rows]


def currencies_closed(cursor: psycopg.Cursor, number: int, account: str) -> set[str]:
    """Every currency the account had a statement in, in period `number` or before: a statement
    exists for every currency the account moved money in during the period."""
    rows = cursor.execute(
        "SELECT DISTINCT currency FROM period_statements WHERE account = %s AND number <= %s",
        (account, number),
    ).fetchall()
    return {row["currency"] for row in rows}


_AFTER_CLOSE = f"""
SELECT currency, bucket, sum(amount) AS amount, count(*) AS entries FROM (
    SELECT currency, bucket, amount FROM ledger_entries
    WHERE account = %(account)s AND recorded_at >= %(until)s AND recorded_at <= %(moment)s
    UNION ALL
    SELECT currency, bucket, amount FROM ledger_entries
    WHERE {LATE_POINT} <@ box(point(%(through)s + 0.5, -1e18), point(1e18, %(until_seconds)s + 1))
      AND account = %(account)s AND position > %(through)s AND recorded_at < %(until)s
) AS after_close GROUP BY currency, bucket"""

_FROM_START = """
SELECT currency, bucket, sum(amount) AS amount, count(*) AS entries FROM ledger_entries
WHERE account = %(account)s AND recorded_at <= %(moment)s GROUP BY currency, bucket"""


def entries_after_close(
    cursor: psycopg.Cursor, account: str, close: dict | None, moment: datetime
) -> Sums:
    """The account's entries booked by `moment` and outside `close`'s bounds, summed per currency
    and bucket (every entry booked by `moment` when there is no close). A currency with entries
    shows even when they sum to zero."""
    if close is None:
        rows = cursor.execute(_FROM_START, {"account": account, "moment": moment}).fetchall()
    else:
        until = close["until"]
        params = {"account": account, "moment": moment, "until": until, "until_seconds":
                  until.timestamp(), "through": close["covers_through"]}  # fmt: skip
        rows = cursor.execute(_AFTER_CLOSE, params).fetchall()
    sums: Sums = {}
    for row in rows:
        sums.setdefault(row["currency"], {})[row["bucket"]] = row["amount"]
    return sums


def booked_currencies(cursor: psycopg.Cursor, account: str, moment: datetime) -> set[str]:
    """The currencies the account had entries in by `moment` (for the replay from the start)."""
    rows = cursor.execute(
        "SELECT DISTINCT currency FROM ledger_entries WHERE account = %s AND recorded_at <= %s",
        (account, moment),
    ).fetchall()
    return {row["currency"] for row in rows}


# Postings that move no lead's money (the payout's or invoice's id stands in `lead_id`): a
# replay of leads' events adds them from the ledger, where they are never re-priced. `Invoiced`
# and `PaymentReceived` are booked once invoices and payments are (issue 22, branch i22d).
POSTINGS_WITHOUT_LEAD = ("Payout", "Invoiced", "PaymentReceived")


def postings_without_lead(cursor: psycopg.Cursor, account: str, moment: datetime) -> Sums:
    """The account's entries of payouts (invoices, payments) booked by `moment`, per currency
    and bucket."""
    rows = cursor.execute(
        "SELECT currency, bucket, sum(amount) AS amount FROM ledger_entries "
        "WHERE account = %s AND event_type = ANY(%s) AND recorded_at <= %s GROUP BY 1, 2",
        (account, list(POSTINGS_WITHOUT_LEAD), moment),
    ).fetchall()
    sums: Sums = {}
    for row in rows:
        sums.setdefault(row["currency"], {})[row["bucket"]] = row["amount"]
    return sums
