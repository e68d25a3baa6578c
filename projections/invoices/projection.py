"""The invoices read model: each invoice, what was received, for listing open ones by age."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from domain.invoice import Invoice

PROJECTION_NAME = "invoices"

_INVOICES = """CREATE TABLE IF NOT EXISTS invoices (
    position bigint PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    advertiser text NOT NULL,
    period integer NOT NULL,
    currency text NOT NULL,
    total numeric NOT NULL,
    received numeric NOT NULL,
    lines jsonb NOT NULL,
    issued_at timestamptz NOT NULL,
    issued_by text NOT NULL,
    due_at timestamptz NOT NULL)"""
# Added after the first release (four eyes): who approved an invoice over the limit.
_APPROVED_BY = "ALTER TABLE invoices ADD COLUMN IF NOT EXISTS approved_by text"


class InvoicesProjection:
    name = PROJECTION_NAME

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        cursor.execute(_INVOICES)
        cursor.execute(_APPROVED_BY)

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        for at, e in events:
            if isinstance(e, Invoice.Issued):
                cursor.execute(
                    "INSERT INTO invoices (position, id, advertiser, period, currency, total, "
                    "received, lines, issued_at, issued_by, due_at, approved_by) "
                    "VALUES (%s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (
                        at,
                        e.originator_id,
                        e.advertiser,
                        e.period,
                        e.currency,
                        e.total,
                        Jsonb(e.lines),
                        e.timestamp,
                        e.issued_by,
                        e.due_at,
                        getattr(e, "approved_by", None),  # events before four eyes have none
                    ),  # fmt: skip
                )
            elif isinstance(e, Invoice.PaymentReceived):
                cursor.execute(
                    "UPDATE invoices SET received = received + %s WHERE id = %s",
                    (e.amount, e.originator_id),
                )


def listed(
    cursor: psycopg.Cursor, state: str | None, before: int | None, limit: int, now: datetime
) -> list[dict]:
    """Invoices, the latest first; `state` open (received < total) or paid; with days overdue."""
    return cursor.execute(
        "SELECT *, CASE WHEN received < total AND due_at < %(now)s "
        "THEN extract(day FROM %(now)s - due_at)::int ELSE 0 END AS days_overdue "
        "FROM invoices WHERE (%(state)s::text IS NULL "
        "OR (%(state)s = 'open') = (received < total)) "
        "AND (%(before)s::bigint IS NULL OR position < %(before)s) "
        "ORDER BY position DESC LIMIT %(limit)s",
        {"state": state, "before": before, "limit": limit, "now": now},
    ).fetchall()
