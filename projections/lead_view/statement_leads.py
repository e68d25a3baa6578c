"""The lead view as a statement reconciliation reads it (`app.reconciliation`).

Two reads: the leads of an advertiser that a chunk of statement lines names (by exto or click,
both indexed), and the advertiser's leads created in a period, as a sub-query the
reconciliation's own table is filled from (the leads no line found).
"""

from __future__ import annotations

import psycopg

from projections.lead_view.projection import LEAD_VIEW_TABLE

_NAMED = f"""SELECT id, exto, click, flow, offer, goal, status, advertiser_amount,
    advertiser_currency, created_at FROM {LEAD_VIEW_TABLE}
    WHERE advertiser = %s AND (exto = ANY(%s) OR click = ANY(%s))"""

# Named parameters: advertiser, start (inclusive), end (exclusive).
CREATED_IN_PERIOD = f"""SELECT id, exto, click, flow, status, advertiser_amount,
    advertiser_currency, created_at, goal FROM {LEAD_VIEW_TABLE}
    WHERE advertiser = %(advertiser)s AND created_at >= %(start)s AND created_at < %(end)s"""


def leads_named(
    cursor: psycopg.Cursor, advertiser: str, extos: list[str], clicks: list[str]
) -> list[dict]:
    return cursor.execute(_NAMED, (advertiser, extos, clicks)).fetchall()
