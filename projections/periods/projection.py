"""The periods read model: each closed period and its statements, as the close event sealed them.

Everything here comes from `Period.Closed` events, which carry the statements whole: a replay
(a rebuild of this read model, or a fresh database restored from the event store) writes the
same rows, the statement documents byte for byte (`domain.period.canonical`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from domain.period import Period, canonical

PROJECTION_NAME = "periods"

_PERIODS = """CREATE TABLE IF NOT EXISTS periods (
    number integer PRIMARY KEY,
    id uuid NOT NULL,
    starts_at timestamptz,
    until timestamptz NOT NULL,
    covers_through bigint NOT NULL,
    entry_count bigint NOT NULL,
    entries_hash text NOT NULL,
    previous_seal text NOT NULL,
    seal text NOT NULL,
    closed_at timestamptz NOT NULL,
    closed_by text NOT NULL)"""

_STATEMENTS = """CREATE TABLE IF NOT EXISTS period_statements (
    number integer NOT NULL,
    account text NOT NULL,
    currency text NOT NULL,
    document text NOT NULL,
    PRIMARY KEY (number, account, currency))"""

# An account's statements across periods: the currencies it ever had, for balances as of a moment.
_STATEMENTS_BY_ACCOUNT = """CREATE INDEX IF NOT EXISTS period_statements_account
    ON period_statements (account, number)"""

_INSERT_PERIOD = """INSERT INTO periods (number, id, starts_at, until, covers_through,
    entry_count, entries_hash, previous_seal, seal, closed_at, closed_by)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (number) DO NOTHING"""

_INSERT_STATEMENT = """INSERT INTO period_statements (number, account, currency, document)
    VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"""


class PeriodsProjection:
    """Writes `periods` and `period_statements` from close events."""

    name = PROJECTION_NAME

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        cursor.execute(_PERIODS)
        cursor.execute(_STATEMENTS)
        cursor.execute(_STATEMENTS_BY_ACCOUNT)

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        for _, closed in events:
            if isinstance(closed, Period.Closed):
                _record(cursor, closed)


def _record(cursor: psycopg.Cursor, closed: Period.Closed) -> None:
    cursor.execute(
        _INSERT_PERIOD,
        (
            closed.number,
            closed.originator_id,
            closed.starts_at,
            closed.until,
            closed.covers_through,
            closed.entry_count,
            closed.entries_hash,
            closed.previous_seal,
            closed.seal,
            closed.timestamp,
            closed.closed_by,
        ),  # fmt: skip
    )
    cursor.executemany(
        _INSERT_STATEMENT,
        [(closed.number, s["account"], s["currency"], canonical(s)) for s in closed.statements],
    )
