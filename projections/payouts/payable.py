"""What the ledger holds payable per webmaster: approved money past its offer's lock, less paid.

Per lead, what counts is the smaller of its approved balance now and the part of it booked at
least `lock_for` (its offer's) before `now`: an approval still in its lock counts nothing; a
cancel inside the lock reverses money that never counted; a cancel or a lower price after the
lock counts at once (a clawback, payable may go negative); a higher re-price waits out its own
lock. Payouts (`event_type` Payout, their id in `lead_id`) are summed apart as `paid`. The offer
comes from the lead view; a lead it does not hold yet waits out the longest lock (never paid
early because a read model lags).
Amounts as the webmaster reads them (its money is credits in the ledger, hence the minus).

A page of webmasters (`payables`) reads what only the lock decides, not the ledger's history:
money booked longer ago than the longest lock counts under every lock, so payable is the approved
balance (`ledger_balances`, payouts netted) less what is locked, and only leads with approved
money booked inside the longest lock can hold any locked. Summing every webmaster's entries
instead read the whole ledger: 0.7 s at 1.45 million entries (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import psycopg

from projections.commission_ledger.account_postings import PAYOUT_EVENT
from projections.lead_view.projection import LEAD_VIEW_TABLE

_LOCKS = """locks AS (
    SELECT * FROM unnest(%(offers)s::text[], %(seconds)s::bigint[]) AS k(offer, seconds))"""
# Per lead, the part of an entry's money booked at least its offer's lock ago.
_MATURED = """coalesce(-sum(e.amount) FILTER (WHERE e.recorded_at
            <= %(now)s - make_interval(secs => coalesce(k.seconds,
                CASE WHEN l.id IS NULL THEN %(longest)s ELSE 0 END))), 0)"""
_APPROVED = """e.account LIKE 'webmaster:%%' AND e.bucket = 'approved'
        AND e.currency = %(currency)s"""

_PAYABLE = f"""
WITH {_LOCKS},
per_lead AS (
    SELECT e.account, e.lead_id, e.event_type = %(payout)s AS payout, -sum(e.amount) AS total,
        {_MATURED} AS matured
    FROM ledger_entries e
    LEFT JOIN {LEAD_VIEW_TABLE} l ON l.id = e.lead_id
    LEFT JOIN locks k ON k.offer = l.offer
    WHERE {_APPROVED} AND (%(account)s::text IS NULL OR e.account = %(account)s)
    GROUP BY e.account, e.lead_id, payout)
SELECT split_part(account, ':', 2) AS webmaster,
    sum(CASE WHEN payout THEN 0 ELSE least(total, matured) END) AS earned,
    sum(CASE WHEN payout THEN total ELSE 0 END) AS paid,
    sum(CASE WHEN payout THEN 0 ELSE total - least(total, matured) END) AS locked,
    count(*) FILTER (WHERE NOT payout) AS leads
FROM per_lead GROUP BY account ORDER BY account"""


# One page of webmasters, in account order after the cursor (`ledger_balances`' key, read in
# order and stopped at the page). Then as before, for the page's accounts only: the leads with
# approved money inside the longest lock (`ledger_entries_account_recorded_at`), each read whole
# by `ledger_entries_lead` with its offer (the LATERAL: joined instead, PostgreSQL hashed scans
# of the whole ledger and lead view). An entry outside the window is past every lock, so a lead
# without one of the account's entries in it holds nothing locked for the account.
_PAYABLES = f"""
WITH {_LOCKS},
page AS (
    SELECT b.account, b.amount FROM ledger_balances b
    WHERE b.account LIKE 'webmaster:%%' AND b.bucket = 'approved' AND b.currency = %(currency)s
        AND b.account > %(after)s
    ORDER BY b.account LIMIT %(limit)s),
recent AS (
    SELECT DISTINCT e.lead_id FROM page p JOIN ledger_entries e ON e.account = p.account
    WHERE e.recorded_at > %(now)s - make_interval(secs => %(longest)s) AND {_APPROVED}
        AND e.event_type <> %(payout)s),
per_lead AS (
    SELECT m.account, m.total, m.matured FROM recent r CROSS JOIN LATERAL (
        SELECT e.account, -sum(e.amount) AS total, {_MATURED} AS matured
        FROM ledger_entries e
        LEFT JOIN {LEAD_VIEW_TABLE} l ON l.id = e.lead_id
        LEFT JOIN locks k ON k.offer = l.offer
        WHERE e.lead_id = r.lead_id AND {_APPROVED}
        GROUP BY e.account) m),
locked AS (
    SELECT account, sum(total - least(total, matured)) AS locked FROM per_lead GROUP BY account)
SELECT p.account, split_part(p.account, ':', 2) AS webmaster,
    -p.amount - coalesce(k.locked, 0) AS payable, coalesce(k.locked, 0) AS locked
FROM page p LEFT JOIN locked k ON k.account = p.account
ORDER BY p.account"""


def payable_money(
    cursor: psycopg.Cursor,
    currency: str,
    now: datetime,
    locks: Mapping[str, timedelta],
    account: str | None = None,
) -> list[dict]:
    """Per webmaster (or only `account`): `earned` (approved and past its lock), `paid` (negative:
    payouts debit the approved money), `locked` (approved, still in its lock) and `leads` (how
    many leads have approved money). Payable now is `earned + paid`."""
    return cursor.execute(_PAYABLE, _params(currency, now, locks, account=account)).fetchall()


def payables(
    cursor: psycopg.Cursor,
    currency: str,
    now: datetime,
    locks: Mapping[str, timedelta],
    after: str | None,
    limit: int,
) -> list[dict]:
    """Up to `limit` webmasters with approved money in `currency`, in account order after the
    account `after`: `account`, `payable` (as `payable_money`'s `earned + paid`) and `locked`,
    from the balances and the leads booked inside the lock."""
    params = _params(currency, now, locks, after=after or "", limit=limit)
    return cursor.execute(_PAYABLES, params).fetchall()


def _params(currency: str, now: datetime, locks: Mapping[str, timedelta], **more) -> dict:
    offers = sorted(locks)
    seconds = [int(locks[offer].total_seconds()) for offer in offers]
    return {
        "offers": offers,
        "seconds": seconds,
        "longest": max(seconds, default=0),
        "payout": PAYOUT_EVENT,
        "now": now,
        "currency": currency,
        **more,
    }
