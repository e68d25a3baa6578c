"""Searching the postback log and the lead view, for the support page."""

from __future__ import annotations

from uuid import UUID

import psycopg
from psycopg import sql

FILTERS = ("click", "exto", "site", "outcome", "error")


def search_postbacks(
    cursor: psycopg.Cursor, filters: dict[str, str], before: int | None, limit: int
) -> tuple[list[dict], int | None]:
    """A page of the log, newest first, and the cursor of the next page (None at the end)."""
    conditions: list[sql.Composable] = []
    params: list = []
    for name in FILTERS:
        if filters.get(name):
            conditions.append(sql.SQL("{} = %s").format(sql.Identifier(name)))
            params.append(filters[name])
    for condition, key in (("received_at >= %s", "from"), ("received_at < %s", "to")):
        if filters.get(key):
            conditions.append(sql.SQL(condition))
            params.append(filters[key])
    if before is not None:
        conditions.append(sql.SQL("position < %s"))
        params.append(before)
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
    rows = cursor.execute(
        sql.SQL("SELECT * FROM postback_log{} ORDER BY position DESC LIMIT %s").format(where),
        [*params, limit + 1],
    ).fetchall()
    return rows[:limit], rows[limit - 1]["position"] if len(rows) > limit else None


def find_leads(cursor: psycopg.Cursor, query: str, limit: int = 50) -> list[dict]:
    """Leads whose id, click or exto is `query`."""
    try:
        lead_id: UUID | None = UUID(query)
    except ValueError:
        lead_id = None
    return cursor.execute(
        "SELECT * FROM lead_view WHERE id = %s OR click = %s OR exto = %s "
        "ORDER BY created_at DESC LIMIT %s",
        (lead_id, query, query, limit),
    ).fetchall()


def resubmissions_of(cursor: psycopg.Cursor, postback_ids: list[UUID]) -> dict[UUID, dict]:
    """The latest re-submission of each of these postbacks, if any."""
    rows = cursor.execute(
        "SELECT DISTINCT ON (resubmit_of) * FROM postback_log WHERE resubmit_of = ANY(%s) "
        "ORDER BY resubmit_of, position DESC",
        (postback_ids,),
    ).fetchall()
    return {row["resubmit_of"]: row for row in rows}
