"""Queries on the periods read model: the periods closed, and a period's statements."""

from __future__ import annotations

import psycopg


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
