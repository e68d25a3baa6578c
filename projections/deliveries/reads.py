"""Reads of the delivery tables: the delivery log, one lead's deliveries, URLs, queue figures.

A pending delivery whose URL is suspended is shown as `suspended`: it waits, it is not dropped.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg
from psycopg import sql

STATES = ("pending", "delivered", "failed", "suspended", "cancelled")

_STATE = sql.SQL(
    "CASE WHEN d.state = 'pending' AND t.suspended_at IS NOT NULL THEN 'suspended' ELSE d.state END"
)
_LISTED = sql.SQL(
    "SELECT d.id, d.lead, d.webmaster, d.event, d.url, {state} AS state, d.attempts,"
    " CASE WHEN d.state = 'pending' THEN d.next_attempt_at END AS next_attempt_at,"
    " d.position, d.target, d.method, d.secret, d.url_secret, d.queued_at, d.delivered_at"
    " FROM deliveries d JOIN delivery_targets t ON t.id = d.target"
).format(state=_STATE)


def search(
    cursor: psycopg.Cursor,
    webmaster: str | None = None,
    lead: UUID | None = None,
    state: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    after: tuple[datetime, int, UUID] | None = None,
) -> list[dict]:
    """Deliveries, newest first (queued_at, then position, then id: a stable order), filtered
    by what is given (`since`/`until` on queued_at); `after`: the last row of the page before."""
    conditions: list[sql.Composable] = []
    params: list = []
    for condition, value in (
        (sql.SQL("d.webmaster = %s"), webmaster),
        (sql.SQL("d.lead = %s"), lead),
        (sql.SQL("{} = %s").format(_STATE), state),
        (sql.SQL("d.queued_at >= %s"), since),
        (sql.SQL("d.queued_at < %s"), until),
        (sql.SQL("(d.queued_at, d.position, d.id) < (%s, %s, %s)"), after),
    ):
        if value is not None:
            conditions.append(condition)
            params += value if isinstance(value, tuple) else [value]
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
    statement = sql.SQL(
        "{}{} ORDER BY d.queued_at DESC, d.position DESC, d.id DESC LIMIT %s"
    ).format(_LISTED, where)
    return cursor.execute(statement, [*params, limit]).fetchall()


def one(cursor: psycopg.Cursor, delivery: UUID) -> dict | None:
    statement = sql.SQL("{} WHERE d.id = %s").format(_LISTED)
    return cursor.execute(statement, (delivery,)).fetchone()


def attempts_of(cursor: psycopg.Cursor, deliveries: list[UUID]) -> dict[UUID, list[dict]]:
    """Each delivery's attempts, first to last (URLs as stored: secrets already masked)."""
    found: dict[UUID, list[dict]] = {d: [] for d in deliveries}
    rows = cursor.execute(
        "SELECT * FROM delivery_attempts WHERE delivery = ANY(%s) ORDER BY delivery, attempt",
        (deliveries,),
    ).fetchall()
    for row in rows:
        found[row["delivery"]].append(row)
    return found


def of_lead(cursor: psycopg.Cursor, lead: UUID) -> list[dict]:
    """A lead's deliveries in event order, each with its attempts (for timelines)."""
    if not present(cursor):
        return []
    rows = cursor.execute(
        sql.SQL("{} WHERE d.lead = %s ORDER BY d.position, d.url").format(_LISTED), (lead,)
    ).fetchall()
    attempts = attempts_of(cursor, [row["id"] for row in rows])
    return [{**row, "attempt_log": attempts[row["id"]]} for row in rows]


_TARGETS = (
    "SELECT t.*, (SELECT count(*) FROM deliveries d WHERE d.target = t.id"
    " AND d.state = 'pending') AS waiting FROM delivery_targets t"
)


def targets(cursor: psycopg.Cursor, after: UUID | None, limit: int) -> list[dict]:
    """Up to `limit` URLs in id order (unique and the key's index: a page is read alone), after
    the id `after` (None: from the first)."""
    if after is None:
        return cursor.execute(_TARGETS + " ORDER BY t.id LIMIT %s", (limit,)).fetchall()
    statement = _TARGETS + " WHERE t.id > %s ORDER BY t.id LIMIT %s"
    return cursor.execute(statement, (after, limit)).fetchall()


def target(cursor: psycopg.Cursor, target_id: UUID) -> dict | None:
    return cursor.execute(_TARGETS + " WHERE t.id = %s", (target_id,)).fetchone()


def figures(cursor: psycopg.Cursor) -> dict:
    """Deliveries by state, queue depth, and the age in seconds of the oldest undelivered."""
    if not present(cursor):
        return {"by_state": {}, "queue_depth": 0, "oldest_undelivered_seconds": 0.0}
    rows = cursor.execute(
        sql.SQL(
            "SELECT {} AS state, count(*) AS n FROM deliveries d"
            " JOIN delivery_targets t ON t.id = d.target GROUP BY 1"
        ).format(_STATE)
    ).fetchall()
    oldest = cursor.execute(
        "SELECT coalesce(extract(epoch FROM now() - min(queued_at)), 0) AS age"
        " FROM deliveries WHERE state = 'pending'"
    ).fetchone()["age"]
    by_state = {row["state"]: row["n"] for row in rows}
    depth = by_state.get("pending", 0) + by_state.get("suspended", 0)
    return {"by_state": by_state, "queue_depth": depth, "oldest_undelivered_seconds": float(oldest)}


def present(cursor: psycopg.Cursor) -> bool:
    row = cursor.execute("SELECT to_regclass('deliveries') IS NOT NULL AS present").fetchone()
    return bool(row["present"])
