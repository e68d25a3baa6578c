"""Each delivery URL's health for the support page: state, deliveries waiting, the last error.

Read per URL (target id), for the few URLs one page shows, each through an index of that URL's
own rows (`projections.deliveries.schema`): the waiting count its pending deliveries, the last
error its latest failed attempt, found by walking its failed attempts from the newest.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import psycopg

_HEALTH = """
SELECT t.id, t.url, t.consecutive_failures, t.suspended_at,
  (SELECT count(*) FROM deliveries d WHERE d.target = t.id AND d.state = 'pending') AS waiting,
  e.delivery AS error_delivery, e.at AS error_at, e.http_status AS error_status,
  e.error AS error, d.state AS error_delivery_state
FROM delivery_targets t
LEFT JOIN LATERAL (
  SELECT a.delivery, a.at, a.http_status, a.error FROM delivery_attempts a
  WHERE a.target = t.id AND a.outcome IN ('retry', 'failed')
  ORDER BY a.at DESC LIMIT 1
) e ON true
LEFT JOIN deliveries d ON d.id = e.delivery
WHERE t.id = ANY(%s)
"""


def url_health(cursor: psycopg.Cursor, targets: Sequence[UUID]) -> dict[UUID, dict]:
    """The named URLs that have had deliveries, by target id (a URL never used is absent)."""
    if not targets:
        return {}
    present = cursor.execute("SELECT to_regclass('delivery_targets') IS NOT NULL AS p").fetchone()
    if not present["p"]:
        return {}
    return {row["id"]: row for row in cursor.execute(_HEALTH, (list(targets),)).fetchall()}


def used_targets(cursor: psycopg.Cursor) -> list[UUID]:
    """Every URL deliveries were queued for (to show those no longer configured too)."""
    present = cursor.execute("SELECT to_regclass('delivery_targets') IS NOT NULL AS p").fetchone()
    if not present["p"]:
        return []
    return [row["id"] for row in cursor.execute("SELECT id FROM delivery_targets").fetchall()]
