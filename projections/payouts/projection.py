"""The payouts read model: every payout made, for listing per webmaster (newest first)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from domain.payout import Payouts

PROJECTION_NAME = "payouts"

_PAYOUTS = """CREATE TABLE IF NOT EXISTS payouts (
    position bigint PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    webmaster text NOT NULL,
    currency text NOT NULL,
    amount numeric NOT NULL,
    reference text NOT NULL,
    paid_by text NOT NULL,
    paid_at timestamptz NOT NULL)"""

_INSERT = """INSERT INTO payouts (position, id, webmaster, currency, amount, reference, paid_by,
    paid_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"""


class PayoutsProjection:
    name = PROJECTION_NAME

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        cursor.execute(_PAYOUTS)
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS payouts_webmaster ON payouts (webmaster, position)"
        )

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        rows = [
            (
                at,
                e.payout_id,
                e.webmaster,
                e.currency,
                e.amount,
                e.reference,
                e.paid_by,
                e.timestamp,
            )
            for at, e in events
            if isinstance(e, Payouts.Paid)
        ]
        if rows:
            cursor.executemany(_INSERT, rows)


def newest(
    cursor: psycopg.Cursor, webmaster: str | None, before: int | None, limit: int
) -> list[dict]:
    """Payouts, the latest first, from just before position `before`."""
    return cursor.execute(
        "SELECT * FROM payouts WHERE (%(w)s::text IS NULL OR webmaster = %(w)s) "
        "AND (%(b)s::bigint IS NULL OR position < %(b)s) ORDER BY position DESC LIMIT %(n)s",
        {"w": webmaster, "b": before, "n": limit},
    ).fetchall()
