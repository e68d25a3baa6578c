"""The holds tables: every hold still running, by the time it falls due, and the releases done.

`holds` has one row per lead on hold under a rule (`domain.hold_rules`): its terms as stored on
the lead's event, who it belongs to and what it is worth to the webmaster now. The hold-release
follower keeps it from the event log, in the transaction that advances its tracking position,
and asks it what is due (`holds_due`). `hold_releases` counts the releases by outcome, also
from the log, so the counts are right whichever process released them.
"""

from __future__ import annotations

import psycopg

_TABLES = (
    """CREATE TABLE IF NOT EXISTS holds (
        lead_id uuid PRIMARY KEY, due_at timestamptz NOT NULL, after_hold text NOT NULL,
        rule text NOT NULL, hold_for text NOT NULL, catalog_version integer NOT NULL,
        started_at timestamptz NOT NULL, terms jsonb NOT NULL, lead_version bigint NOT NULL,
        webmaster text NOT NULL, advertiser text NOT NULL, offer text NOT NULL,
        goal text NOT NULL, commission numeric, currency text)""",
    "CREATE INDEX IF NOT EXISTS holds_due ON holds (due_at, lead_id)",
    """CREATE TABLE IF NOT EXISTS hold_releases (
        outcome text PRIMARY KEY, released bigint NOT NULL DEFAULT 0)""",
)


def create_tables(cursor: psycopg.Cursor) -> None:
    for statement in _TABLES:
        cursor.execute(statement)
