"""Reading the lead view: one lead, and the leads support staff look for."""

from __future__ import annotations

from uuid import UUID

import psycopg

from projections.lead_view.projection import LEAD_VIEW_TABLE


def lead_row(cursor: psycopg.Cursor, lead_id: UUID) -> dict | None:
    return cursor.execute(f"SELECT * FROM {LEAD_VIEW_TABLE} WHERE id = %s", (lead_id,)).fetchone()


def lead_ids_of(cursor: psycopg.Cursor, kind: str | None, holder: str) -> list[UUID]:
    """The ids of an advertiser's or a webmaster's leads; every lead when `kind` is None."""
    condition = {"advertiser": " WHERE advertiser = %s", "webmaster": " WHERE webmaster = %s"}
    if kind is None:
        return [row["id"] for row in cursor.execute(f"SELECT id FROM {LEAD_VIEW_TABLE}")]
    statement = f"SELECT id FROM {LEAD_VIEW_TABLE}{condition[kind]}"
    return [row["id"] for row in cursor.execute(statement, (holder,))]


def find_leads(cursor: psycopg.Cursor, query: str, limit: int = 50) -> list[dict]:
    """Leads whose id, click or exto is `query`."""
    try:
        lead_id: UUID | None = UUID(query)
    except ValueError:
        lead_id = None
    return cursor.execute(
        f"SELECT * FROM {LEAD_VIEW_TABLE} WHERE id = %s OR click = %s OR exto = %s "
        "ORDER BY created_at DESC LIMIT %s",
        (lead_id, query, query, limit),
    ).fetchall()
