"""Reading the postback log: the one search behind `GET /api/postbacks` and the support page.

Every listing is newest first by `position` (indexed); `lead` and `resubmit_of` are compared as
uuids so that their indexes serve them.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import psycopg
from psycopg import sql

from domain.lead_state import LeadState

FILTERS = ("click", "exto", "site", "outcome", "error")
# Filters on other columns, by their name in the API: lead and postback ids, and a time range.
RANGE_AND_ID_FILTERS = (
    ("lead", "lead_id = %s"),
    ("resubmit_of", "resubmit_of = %s"),
    ("from", "received_at >= %s"),
    ("to", "received_at < %s"),
)


def search_postbacks(
    cursor: psycopg.Cursor, filters: Mapping[str, object], before: int | None, limit: int
) -> tuple[list[dict], int | None]:
    """A page of the log, newest first, and the cursor of the next page (None at the end).

    `filters` by name (`FILTERS`, `lead`, `resubmit_of`, `from`, `to`); an empty one filters
    nothing."""
    conditions: list[sql.Composable] = []
    params: list = []
    for name in FILTERS:
        if filters.get(name):
            conditions.append(sql.SQL("{} = %s").format(sql.Identifier(name)))
            params.append(filters[name])
    for key, condition in RANGE_AND_ID_FILTERS:
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


def resubmissions_of(cursor: psycopg.Cursor, postback_ids: list[UUID]) -> dict[UUID, dict]:
    """The latest re-submission of each of these postbacks, if any."""
    rows = cursor.execute(
        "SELECT DISTINCT ON (resubmit_of) * FROM postback_log WHERE resubmit_of = ANY(%s) "
        "ORDER BY resubmit_of, position DESC",
        (postback_ids,),
    ).fetchall()
    return {row["resubmit_of"]: row for row in rows}


def has_live_resubmission(cursor: psycopg.Cursor, postback_id: UUID) -> bool:
    """Whether this postback was already re-submitted with an outcome other than rejected."""
    return (
        cursor.execute(
            "SELECT 1 FROM postback_log WHERE resubmit_of = %s AND outcome <> 'rejected' LIMIT 1",
            (postback_id,),
        ).fetchone()
        is not None
    )


def postbacks_for(
    cursor: psycopg.Cursor, lead_id: UUID, state: LeadState | None, flow_code: str | None
) -> list[dict]:
    """Every logged postback that was for this lead or named it, oldest first."""
    conditions = [sql.SQL("lead_id = %s")]
    params: list = [lead_id]
    if state is not None and state.click:
        conditions.append(sql.SQL("(click = %s AND (exto IS NULL OR exto = %s))"))
        params += [state.click, state.exto or ""]
    elif state is not None and state.exto:
        conditions.append(
            sql.SQL(
                "(click IS NULL AND exto = %s AND "
                "(params->'flow'->>0 = %s OR params->'code'->>0 = %s))"
            )
        )
        params += [state.exto, str(state.flow), flow_code or ""]
    statement = sql.SQL("SELECT * FROM postback_log WHERE {} ORDER BY position").format(
        sql.SQL(" OR ").join(conditions)
    )
    return cursor.execute(statement, params).fetchall()
