"""What the ledger holds payable per webmaster: approved money past its offer's lock, less paid.

Per lead, what counts is the smaller of its approved balance now and the part of it booked at
least `lock_for` (its offer's) before `now`: an approval still in its lock counts nothing; a
cancel inside the lock reverses money that never counted; a cancel or a lower price after the
lock counts at once (a clawback, payable may go negative); a higher re-price waits out its own
lock. Payouts (`event_type` Payout, their id in `lead_id`) are summed apart as `paid`. The offer
comes from the lead view; a lead it does not hold yet waits out the longest lock (never paid
early because a read model lags).
Amounts as the webmaster reads them (its money is credits in the ledger, hence the minus).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import psycopg

from projections.commission_ledger.account_postings import PAYOUT_EVENT
from projections.lead_view.projection import LEAD_VIEW_TABLE

_PAYABLE = f"""
WITH locks AS (
    SELECT * FROM unnest(%(offers)s::text[], %(seconds)s::bigint[]) AS k(offer, seconds)),
per_lead AS (
    SELECT e.account, e.lead_id, e.event_type = %(payout)s AS payout, -sum(e.amount) AS total,
        coalesce(-sum(e.amount) FILTER (WHERE e.recorded_at
            <= %(now)s - make_interval(secs => coalesce(k.seconds,
                CASE WHEN l.id IS NULL THEN %(longest)s ELSE 0 END))), 0) AS matured
    FROM ledger_entries e
    LEFT JOIN {LEAD_VIEW_TABLE} l ON l.id = e.lead_id
    LEFT JOIN locks k ON k.offer = l.offer
    WHERE e.account LIKE 'webmaster:%%' AND e.bucket = 'approved' AND e.currency = %(currency)s
        AND (%(account)s::text IS NULL OR e.account = %(account)s)
    GROUP BY e.account, e.lead_id, payout)
SELECT split_part(account, ':', 2) AS webmaster,
    sum(CASE WHEN payout THEN 0 ELSE least(total, matured) END) AS earned,
    sum(CASE WHEN payout THEN total ELSE 0 END) AS paid,
    sum(CASE WHEN payout THEN 0 ELSE total - least(total, matured) END) AS locked,
    count(*) FILTER (WHERE NOT payout) AS leads
FROM per_lead GROUP BY account ORDER BY account"""


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
    offers = sorted(locks)
    seconds = [int(locks[offer].total_seconds()) for offer in offers]
    return cursor.execute(
        _PAYABLE,
        {
            "offers": offers,
            "seconds": seconds,
            "longest": max(seconds, default=0),
            "payout": PAYOUT_EVENT,
            "now": now,
            "currency": currency,
            "account": account,
        },
    ).fetchall()
