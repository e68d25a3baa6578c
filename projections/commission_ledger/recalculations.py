"""The audit record of every rebuild and dry run: table `recalculations`.

One row says when a recalculation ran, who asked for it, which projections it rebuilt, the rule
versions in force, how many events it replayed and what it changed per lead and per account
(`projections.commission_ledger.differences`). Rows are only ever inserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from domain.catalog_view import CatalogView
from domain.rate_history import rate_histories
from projections.commission_ledger.differences import (
    account_totals,
    repriced_and_relabelled,
    summary,
)

TABLE = "recalculations"
_COLUMNS = (
    "id", "started_at", "finished_at", "actor", "dry_run", "projections", "rule_versions",
    "events_processed", "differences",
)  # fmt: skip


@dataclass(frozen=True)
class Recalculation:
    """One rebuild (or dry run) as recorded."""

    id: UUID
    started_at: datetime
    finished_at: datetime
    actor: str
    dry_run: bool
    projections: list[str]
    rule_versions: dict[str, Any]
    events_processed: int
    differences: dict[str, Any] = field(default_factory=dict)

    @property
    def leads_changed(self) -> list[str]:
        lines = [*self.differences.get("leads", ()), *self.differences.get("lead_view", ())]
        return sorted({line["lead"] for line in lines})

    @property
    def leads_repriced(self) -> list[str]:
        """Leads whose amounts or bucket change: their ledger entries are rebooked."""
        return sorted(repriced_and_relabelled(self.differences)[0])

    @property
    def leads_relabelled(self) -> list[str]:
        """Leads whose amounts stay and only the rule version (or goal) shown changes."""
        return sorted(repriced_and_relabelled(self.differences)[1])

    @property
    def account_differences(self) -> list[dict[str, str]]:
        """Per account and currency, what the holder reads more (negative: less) after."""
        return account_totals(self.differences.get("accounts", ()))


def create_table(cursor: psycopg.Cursor, schema: str | None = None) -> None:
    cursor.execute(
        sql.SQL(
            """CREATE TABLE IF NOT EXISTS {} (
            id uuid PRIMARY KEY, started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL,
            actor text NOT NULL, dry_run boolean NOT NULL, projections text[] NOT NULL,
            rule_versions jsonb NOT NULL, events_processed bigint NOT NULL,
            differences jsonb NOT NULL)"""
        ).format(_table(schema))
    )


def insert(cursor: psycopg.Cursor, record: Recalculation, schema: str | None = None) -> None:
    """Inserts the record; its rule versions name the catalog version before and after (before:
    the one the last rebuild used, unless the record says, as a preview does)."""
    versions = {**record.rule_versions}
    versions.setdefault("catalog_version_before", _last_rebuilt_version(cursor, schema))
    values = (
        record.id, record.started_at, record.finished_at, record.actor, record.dry_run,
        record.projections, Jsonb(versions), record.events_processed,
        Jsonb({**record.differences, "summary": summary(record.differences)}),
    )  # fmt: skip
    cursor.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            _table(schema),
            sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
            sql.SQL(", ").join(sql.Placeholder() * len(_COLUMNS)),
        ),
        values,
    )


def _last_rebuilt_version(cursor: psycopg.Cursor, schema: str | None) -> int | None:
    row = cursor.execute(
        sql.SQL(
            "SELECT rule_versions->'catalog_version' AS version FROM {} WHERE NOT dry_run "
            "ORDER BY started_at DESC LIMIT 1"
        ).format(_table(schema))
    ).fetchone()
    return None if row is None else row["version"]


def newest(cursor: psycopg.Cursor, before: datetime | None, limit: int) -> list[dict]:
    """Rows newest first, without the full differences (their summary only)."""
    condition = sql.SQL("WHERE started_at < %s") if before else sql.SQL("")
    statement = sql.SQL(
        "SELECT id, started_at, finished_at, actor, dry_run, projections, events_processed, "
        "differences->'summary' AS summary FROM {} {} ORDER BY started_at DESC LIMIT %s"
    ).format(_table(None), condition)
    return cursor.execute(statement, [*([before] if before else []), limit]).fetchall()


def one(cursor: psycopg.Cursor, recalculation_id: UUID) -> dict | None:
    return cursor.execute(
        sql.SQL("SELECT * FROM {} WHERE id = %s").format(_table(None)), (recalculation_id,)
    ).fetchone()


def rule_versions(catalog: CatalogView) -> dict[str, Any]:
    """Every rate version the catalog holds (`domain.rate_history`), so a record says which
    rules were in force, which were superseded and by what."""
    histories = rate_histories(catalog)
    goals = {f"{h['offer']}/{h['goal']}": h["versions"] for h in histories if not h["webmaster"]}
    personal = {
        f"{h['webmaster']} {h['offer']}/{h['goal']}": h["versions"]
        for h in histories
        if h["webmaster"]
    }
    return {"catalog_version": catalog.version, "goal_rates": goals, "personal_rates": personal}


def _table(schema: str | None) -> sql.Composable:
    return sql.Identifier(schema, TABLE) if schema else sql.Identifier(TABLE)


def switched(cursor: psycopg.Cursor) -> list[dict]:
    """Finished rebuilds that switched the read models, oldest first (none before the ledger
    was installed)."""
    if cursor.execute("SELECT to_regclass(%s) IS NULL AS absent", (TABLE,)).fetchone()["absent"]:
        return []
    return cursor.execute(
        sql.SQL(
            "SELECT * FROM {} WHERE NOT dry_run AND finished_at IS NOT NULL ORDER BY finished_at"
        ).format(sql.Identifier(TABLE))
    ).fetchall()
