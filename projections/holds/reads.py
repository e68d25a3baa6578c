"""Reads of the holds tables: what is due, the running holds page by page with their sums, one
lead's hold, and the figures `/metrics` shows.

Pages are in the order holds fall due (`due_at`, then lead id): a page's cursor is the last
row's pair, so a hold that ends meanwhile never shifts the next page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import msgspec
import psycopg
from psycopg import sql

_COLUMNS = (
    "lead_id, due_at, after_hold, rule, hold_for, catalog_version, started_at, terms, "
    "lead_version, webmaster, advertiser, offer, goal, commission, currency"
)


@dataclass(frozen=True)
class HoldFilter:
    """Which running holds a listing shows; None: any."""

    due_before: datetime | None = None
    webmaster: str | None = None
    advertiser: str | None = None
    offer: str | None = None

    def where(self) -> tuple[list[sql.Composable], list]:
        conditions: list[sql.Composable] = []
        params: list = []
        for condition, value in (
            ("due_at < %s", self.due_before),
            ("webmaster = %s", self.webmaster),
            ("advertiser = %s", self.advertiser),
            ("offer = %s", self.offer),
        ):
            if value is not None:
                conditions.append(sql.SQL(condition))
                params.append(value)
        return conditions, params


def due(
    cursor: psycopg.Cursor, now: datetime, limit: int, after: tuple[datetime, UUID] | None = None
) -> list[dict]:
    """Holds whose time has come, soonest first, after (due_at, lead_id) `after`: what the
    follower releases next. (The terms come as text, decoded by msgspec: psycopg's json loads
    were a tenth of a release's cost.)"""
    start = after or (datetime.min.replace(tzinfo=now.tzinfo), UUID(int=0))
    rows = cursor.execute(
        "SELECT lead_id, due_at, terms::text AS terms FROM holds "
        "WHERE due_at <= %s AND (due_at, lead_id) > (%s, %s) ORDER BY due_at, lead_id LIMIT %s",
        (now, *start, limit),
    ).fetchall()
    return [{**row, "terms": msgspec.json.decode(row["terms"])} for row in rows]


def page(
    cursor: psycopg.Cursor,
    where: HoldFilter,
    after: tuple[datetime, UUID] | None = None,
    limit: int = 100,
) -> list[dict]:
    """Running holds, soonest first, after the cursor's (due_at, lead_id)."""
    conditions, params = where.where()
    if after is not None:
        conditions.append(sql.SQL("(due_at, lead_id) > (%s, %s)"))
        params += list(after)
    statement = sql.SQL("SELECT {} FROM holds{} ORDER BY due_at, lead_id LIMIT %s").format(
        sql.SQL(_COLUMNS), _where(conditions)
    )
    return cursor.execute(statement, [*params, limit]).fetchall()


def sums(cursor: psycopg.Cursor, where: HoldFilter) -> list[dict]:
    """Per webmaster, currency and outcome: how many holds and the commission they carry."""
    conditions, params = where.where()
    statement = sql.SQL(
        "SELECT webmaster, currency, after_hold, count(*) AS holds, "
        "sum(commission) AS commission FROM holds{} "
        "GROUP BY webmaster, currency, after_hold ORDER BY webmaster, currency, after_hold"
    ).format(_where(conditions))
    return cursor.execute(statement, params).fetchall()


def of_lead(cursor: psycopg.Cursor, lead: UUID) -> dict | None:
    if not present(cursor):
        return None
    statement = sql.SQL("SELECT {} FROM holds WHERE lead_id = %s").format(sql.SQL(_COLUMNS))
    return cursor.execute(statement, (lead,)).fetchone()


def figures(cursor: psycopg.Cursor, now: datetime) -> dict:
    """Holds running, releases by outcome, and how late the oldest due hold is (seconds)."""
    if not present(cursor):
        return {"running": 0, "released": {}, "oldest_due_delay_seconds": 0.0}
    row = cursor.execute(
        "SELECT count(*) AS running, min(due_at) FILTER (WHERE due_at <= %s) AS oldest FROM holds",
        (now,),
    ).fetchone()
    released = cursor.execute("SELECT outcome, released FROM hold_releases").fetchall()
    oldest = row["oldest"]
    return {
        "running": row["running"],
        "released": {r["outcome"]: r["released"] for r in released},
        "oldest_due_delay_seconds": 0.0 if oldest is None else (now - oldest).total_seconds(),
    }


def present(cursor: psycopg.Cursor) -> bool:
    row = cursor.execute("SELECT to_regclass('holds') IS NOT NULL AS present").fetchone()
    return bool(row["present"])


def _where(conditions: list[sql.Composable]) -> sql.Composable:
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
