"""Queries on the commission ledger's tables: what the money endpoints answer with.

Balances come from `ledger_balances` as their holders read them (`domain.ledger.holder_view`):
what a webmaster has earned, what an advertiser owes, the network's margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import psycopg
from psycopg import sql

from domain.ledger import Bucket, holder_view

BUCKETS = tuple(bucket.value for bucket in Bucket)
Balances = dict[str, dict[str, Decimal]]  # currency -> bucket -> amount


def lead_row(cursor: psycopg.Cursor, lead_id: UUID) -> dict | None:
    return cursor.execute("SELECT * FROM ledger_leads WHERE id = %s", (lead_id,)).fetchone()


def balances_of(cursor: psycopg.Cursor, account: str) -> Balances:
    """Every bucket of every currency the account has seen, zeros included."""
    rows = cursor.execute(
        "SELECT bucket, currency, amount FROM ledger_balances WHERE account = %s", (account,)
    ).fetchall()
    balances: Balances = {}
    for row in rows:
        buckets = balances.setdefault(row["currency"], dict.fromkeys(BUCKETS, Decimal(0)))
        buckets[row["bucket"]] = holder_view(account, row["amount"])
    return balances


@dataclass(frozen=True)
class EntryFilter:
    """Which entries to list: one lead's, one account's, or all, within [start, end)."""

    lead: UUID | None = None
    account: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def entries(
    cursor: psycopg.Cursor, where: EntryFilter, after_id: int | None, limit: int
) -> list[dict]:
    """Entries in the order they were posted, from just after entry `after_id`."""
    clause, params = _entry_clause(where, ("id > %s", after_id))
    statement = sql.SQL("SELECT * FROM ledger_entries{} ORDER BY id LIMIT %s").format(clause)
    return cursor.execute(statement, [*params, limit]).fetchall()


def entries_newest_first(
    cursor: psycopg.Cursor, where: EntryFilter, before_id: int | None, limit: int
) -> list[dict]:
    """Entries, the last posted first, from just before entry `before_id` (a page to read)."""
    clause, params = _entry_clause(where, ("id < %s", before_id))
    statement = sql.SQL("SELECT * FROM ledger_entries{} ORDER BY id DESC LIMIT %s").format(clause)
    return cursor.execute(statement, [*params, limit]).fetchall()


def _entry_clause(where: EntryFilter, cursor_condition: tuple[str, int | None]):
    conditions, params = [], []
    for condition, value in (
        ("lead_id = %s", where.lead),
        ("account = %s", where.account),
        ("recorded_at >= %s", where.start),
        ("recorded_at < %s", where.end),
        cursor_condition,
    ):
        if value is not None:
            conditions.append(sql.SQL(condition))
            params.append(value)
    clause = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
    return clause, params


# date_trunc units, the shortest first, and their length in seconds (a month as 1/12 year).
UNITS = (
    ("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400),
    ("week", 604800), ("month", 2629746),
)  # fmt: skip
MAX_POINTS = 240


def balance_series(cursor: psycopg.Cursor, account: str) -> tuple[str, list[dict]]:
    """The account's balances over its whole history, as its holder reads them.

    Returns the interval chosen (the shortest of second … month that keeps the history within
    about MAX_POINTS intervals) and, per interval that saw entries, each bucket and currency that
    moved with its balance at the interval's end: `{"at", "bucket", "currency", "amount"}`,
    oldest first. One pass over the account's entries (its index serves the account condition).
    """
    # The first and last entries by id (two index probes): their times bound the history.
    span = cursor.execute(
        "SELECT (SELECT recorded_at FROM ledger_entries WHERE account = %(a)s ORDER BY id "
        "LIMIT 1) AS first, (SELECT recorded_at FROM ledger_entries WHERE account = %(a)s "
        "ORDER BY id DESC LIMIT 1) AS last",
        {"a": account},
    ).fetchone()
    if span is None or span["first"] is None:
        return "day", []
    seconds = abs((span["last"] - span["first"]).total_seconds())
    unit = next((name for name, size in UNITS if seconds / size <= MAX_POINTS), "month")
    rows = cursor.execute(
        "SELECT at, bucket, currency, sum(moved) OVER (PARTITION BY bucket, currency ORDER BY at) "
        "AS amount FROM (SELECT date_trunc(%s, recorded_at, 'UTC') AS at, bucket, currency, "
        "sum(amount) AS moved FROM ledger_entries WHERE account = %s GROUP BY 1, 2, 3) moves "
        "ORDER BY at, bucket, currency",
        (unit, account),
    ).fetchall()
    return unit, [{**row, "amount": holder_view(account, row["amount"])} for row in rows]


_GROUPS = {
    "offer": sql.SQL("l.offer"),
    "webmaster": sql.SQL("l.webmaster"),
    "advertiser": sql.SQL("l.advertiser"),
    "day": sql.SQL("to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
}
GROUPINGS = tuple(_GROUPS)


def _period(start: datetime | None, end: datetime | None) -> tuple[sql.Composable, list]:
    conditions, params = [sql.SQL("TRUE")], []
    if start is not None:
        conditions.append(sql.SQL("l.created_at >= %s"))
        params.append(start)
    if end is not None:
        conditions.append(sql.SQL("l.created_at < %s"))
        params.append(end)
    return sql.SQL(" AND ").join(conditions), params


def status_counts(
    cursor: psycopg.Cursor, group_by: str, start: datetime | None, end: datetime | None
) -> Sequence[dict]:
    """Leads created in [start, end), counted per group and status."""
    period, params = _period(start, end)
    statement = sql.SQL(
        "SELECT {key} AS grp, l.status, count(*) AS leads FROM ledger_leads l WHERE {period} "
        "GROUP BY 1, 2 ORDER BY 1, 2"
    ).format(key=_GROUPS[group_by], period=period)
    return cursor.execute(statement, params).fetchall()


def bucket_sums(
    cursor: psycopg.Cursor, group_by: str, start: datetime | None, end: datetime | None
) -> Sequence[dict]:
    """Signed entry sums of leads created in [start, end), per group, side, bucket, currency."""
    period, params = _period(start, end)
    statement = sql.SQL(
        "SELECT {key} AS grp, split_part(e.account, ':', 1) AS side, e.bucket, e.currency, "
        "sum(e.amount) AS amount FROM ledger_entries e JOIN ledger_leads l ON l.id = e.lead_id "
        "WHERE {period} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    ).format(key=_GROUPS[group_by], period=period)
    return cursor.execute(statement, params).fetchall()


def entries_of_lead(cursor: psycopg.Cursor, lead_id: UUID) -> list[dict]:
    """A lead's entries in the order they were booked (none before the ledger was installed)."""
    if cursor.execute("SELECT to_regclass('ledger_entries') IS NULL AS absent").fetchone()[
        "absent"
    ]:
        return []
    return cursor.execute(
        "SELECT * FROM ledger_entries WHERE lead_id = %s ORDER BY id", (lead_id,)
    ).fetchall()
