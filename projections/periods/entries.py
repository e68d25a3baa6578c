"""A period's entries in the commission ledger: their movements by kind, and their hash.

The one place that says which entries a period holds (see `domain.period`): those inside its
bounds (position at most `covers_through`, booked before `until`) and outside the previous
period's. The close draws its statements from here, and `audit check` and `audit verify` draw
them again to compare with what was sealed.

A posting's kind comes from the posting as a whole (all its entries share a position, hence a
period): one that books new entries is `approved` when they land in the approved bucket and
`accrued` otherwise (its reversed old entries move with it); one that only reverses is
`clawed_back` when it takes approved money back and `reversed` when the money was still pending
or on hold. A recalculation's carried-forward difference is `adjusted`
(`projections.periods.carry_forward`); a change settled from an advertiser's statement line is
`settled`, whatever it did; a payout is `paid`, an invoice `invoiced`, a payment `received`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from domain.ledger import holder_view
from domain.period_statements import Adjustment, Movement


@dataclass(frozen=True, slots=True)
class Bounds:
    """What a close covered: the ledger's position then, and the end of the period."""

    covers_through: int
    until: datetime


_IN_PERIOD = (
    "position <= %(through)s AND recorded_at < %(until)s "
    "AND NOT (position <= %(previous_through)s AND recorded_at < %(previous_until)s)"
)

_KIND = """CASE WHEN e.event_type = 'Recalculation' THEN 'adjusted'
            WHEN e.event_type = 'Payout' THEN 'paid'
            WHEN e.event_type = 'Invoiced' THEN 'invoiced'
            WHEN e.event_type = 'PaymentReceived' THEN 'received'
            WHEN e.statement_line IS NOT NULL THEN 'settled'
            WHEN p.new_bucket = 'approved' THEN 'approved'
            WHEN p.new_bucket IS NOT NULL THEN 'accrued'
            WHEN e.bucket = 'approved' THEN 'clawed_back'
            ELSE 'reversed' END"""

_CAUSE = """CASE WHEN e.event_type = 'Recalculation' THEN 'recalculation:' || e.recalculation_id
            WHEN e.statement_line IS NOT NULL THEN 'statement_line:' || e.statement_line
            ELSE 'postback:' || e.postback_id END"""

_MOVEMENTS = f"""
WITH e AS (SELECT posting_id, event_type, account, bucket, amount, currency, reverses,
                  statement_line
           FROM ledger_entries WHERE {_IN_PERIOD}),
     p AS (SELECT posting_id, max(bucket) FILTER (WHERE NOT reverses) AS new_bucket
           FROM e GROUP BY posting_id)
SELECT e.account, e.currency, e.bucket,
       {_KIND} AS kind,
       sum(e.amount) AS amount
FROM e JOIN p USING (posting_id)
GROUP BY 1, 2, 3, 4"""

# Changes to leads that already had money in a closed period, posting by posting, with their
# cause: what a statement lists as carried forward into this period.
_LATE = f"""
WITH e AS (SELECT * FROM ledger_entries WHERE {_IN_PERIOD}),
     late AS (SELECT DISTINCT lead_id FROM e WHERE EXISTS (
                SELECT 1 FROM ledger_entries c WHERE c.lead_id = e.lead_id
                AND c.position <= %(previous_through)s AND c.recorded_at < %(previous_until)s)),
     p AS (SELECT posting_id, max(bucket) FILTER (WHERE NOT reverses) AS new_bucket
           FROM e GROUP BY posting_id)
SELECT e.account, e.currency, e.lead_id, e.position, e.bucket,
       {_KIND} AS kind,
       {_CAUSE} AS cause,
       min(coalesce(e.effective_at, e.recorded_at)) AS effective_at,
       min(e.recorded_at) AS booked_at,
       sum(e.amount) AS amount
FROM e JOIN late USING (lead_id) JOIN p USING (posting_id)
GROUP BY 1, 2, 3, 4, 5, 6, 7"""

# Every change settled from an advertiser's statement in the period, posting by posting, with
# the statement line that caused it: what `settled` movements consist of.
_SETTLED = f"""
SELECT e.account, e.currency, e.lead_id, e.position, e.bucket,
       'settled' AS kind,
       'statement_line:' || e.statement_line AS cause,
       min(coalesce(e.effective_at, e.recorded_at)) AS effective_at,
       min(e.recorded_at) AS booked_at,
       sum(e.amount) AS amount
FROM ledger_entries e WHERE {_IN_PERIOD} AND e.statement_line IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6, 7"""

# One line per entry in a fixed order, so the same entries always give the same hash: a rebuild
# appends them in the same order within a position, whatever ids they get.
_DIGEST = f"""
SELECT count(*) AS entries,
       encode(sha256(convert_to(coalesce(string_agg(
           concat_ws('|', position, posting_id, account, bucket, amount::text, currency,
                     reverses::text),
           E'\\n' ORDER BY position, id), ''), 'UTF8')), 'hex') AS hash
FROM ledger_entries WHERE {_IN_PERIOD}"""


def _params(previous: Bounds | None, bounds: Bounds) -> dict:
    return {
        "through": bounds.covers_through,
        "until": bounds.until,
        "previous_through": previous.covers_through if previous else 0,
        "previous_until": previous.until if previous else bounds.until,
    }


def movements(cursor: psycopg.Cursor, previous: Bounds | None, bounds: Bounds) -> list[Movement]:
    """The period's movements, summed per account, currency, kind and bucket (holder's view)."""
    rows = cursor.execute(_MOVEMENTS, _params(previous, bounds)).fetchall()
    return [
        Movement(
            row["account"],
            row["currency"],
            row["kind"],
            row["bucket"],
            holder_view(row["account"], row["amount"]),
        )
        for row in rows
    ]


def adjustments(
    cursor: psycopg.Cursor, previous: Bounds | None, bounds: Bounds
) -> list[Adjustment]:
    """Changes this period to leads whose money lay in a closed period, with their causes."""
    return _lines(cursor.execute(_LATE, _params(previous, bounds)).fetchall())


def settlements(
    cursor: psycopg.Cursor, previous: Bounds | None, bounds: Bounds
) -> list[Adjustment]:
    """Changes settled from a statement line this period, each with its line as the cause."""
    return _lines(cursor.execute(_SETTLED, _params(previous, bounds)).fetchall())


def _lines(rows: list[dict]) -> list[Adjustment]:
    return [
        Adjustment(
            row["account"],
            row["currency"],
            str(row["lead_id"]),
            row["position"],
            row["kind"],
            row["bucket"],
            holder_view(row["account"], row["amount"]),
            row["cause"],
            utc_text(row["effective_at"]),
            utc_text(row["booked_at"]),
        )
        for row in rows
    ]


def utc_text(moment: datetime) -> str:
    """A moment as sealed documents spell it: ISO 8601 in UTC, whatever the session's zone."""
    return moment.astimezone(UTC).isoformat()


def digest(cursor: psycopg.Cursor, previous: Bounds | None, bounds: Bounds) -> tuple[int, str]:
    """(how many entries the period holds, the SHA-256 over them in order)."""
    row = cursor.execute(_DIGEST, _params(previous, bounds)).fetchone()
    return row["entries"], row["hash"]
