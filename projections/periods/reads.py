"""Queries on the periods read model: the periods closed, and a period's statements."""

from __future__ import annotations

from datetime import datetime

import psycopg

from domain.period import period_of


def newest_periods(cursor: psycopg.Cursor, before: int | None, limit: int) -> list[dict]:
    """Closed periods, the latest first, from just before period number `before`."""
    return cursor.execute(
        "SELECT *, (SELECT count(*) FROM period_statements s WHERE s.number = p.number) "
        "AS statements FROM periods p WHERE %(before)s::int IS NULL OR number < %(before)s "
        "ORDER BY number DESC LIMIT %(limit)s",
        {"before": before, "limit": limit},
    ).fetchall()


def period(cursor: psycopg.Cursor, number: int) -> dict | None:
    return cursor.execute(
        "SELECT *, (SELECT count(*) FROM period_statements s WHERE s.number = p.number) "
        "AS statements FROM periods p WHERE number = %s",
        (number,),
    ).fetchone()


def statements(
    cursor: psycopg.Cursor,
    number: int,
    account: str | None,
    currency: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[dict]:
    """A period's statements in (account, currency) order, from just after `after`."""
    return cursor.execute(
        "SELECT account, currency, document FROM period_statements WHERE number = %(n)s "
        "AND (%(account)s::text IS NULL OR account = %(account)s) "
        "AND (%(currency)s::text IS NULL OR currency = %(currency)s) "
        "AND (%(after_account)s::text IS NULL OR (account, currency) > "
        "(%(after_account)s, %(after_currency)s)) "
        "ORDER BY account, currency LIMIT %(limit)s",
        {
            "n": number,
            "account": account,
            "currency": currency,
            "after_account": after[0] if after else None,
            "after_currency": after[1] if after else None,
            "limit": limit,
        },
    ).fetchall()


class EntryPeriods:
    """Which closed period each ledger entry belongs to (`domain.period.period_of`), from the
    bounds of every close: loaded once per answer, a handful of rows."""

    def __init__(self, closes: list[tuple[int, int, datetime]]) -> None:
        self._closes = closes

    def of(self, row: dict) -> int | None:
        """The period number of an entry row (`position`, `recorded_at`), None while open."""
        return period_of(row["position"], row["recorded_at"], self._closes)

    def keys_of(self, row: dict) -> dict:
        """The keys every listing of an entry adds: `effective_at` (when the fact happened;
        `recorded_at` for entries booked before the column existed), `booked_at` and `period`."""
        booked = row["recorded_at"]
        return {
            "effective_at": row.get("effective_at") or booked,
            "booked_at": booked,
            "period": self.of(row),
        }


def entry_periods(cursor: psycopg.Cursor) -> EntryPeriods:
    """The closes' bounds, as the periods read model holds them (none before the first close)."""
    if cursor.execute("SELECT to_regclass('periods') IS NULL AS absent").fetchone()["absent"]:
        return EntryPeriods([])
    rows = cursor.execute(
        "SELECT number, covers_through, until FROM periods ORDER BY number"
    ).fetchall()
    return EntryPeriods([(r["number"], r["covers_through"], r["until"]) for r in rows])
