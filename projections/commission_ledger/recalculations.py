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
from domain.money import Money
from projections.commission_ledger.differences import summary

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
    values = (
        record.id, record.started_at, record.finished_at, record.actor, record.dry_run,
        record.projections, Jsonb(record.rule_versions), record.events_processed,
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
    """Every rate version the catalog holds, so a record says which rules were in force."""
    goals = {
        f"{offer.id}/{goal.id}": [
            {
                "version": rate.version,
                "effective_from": rate.effective_from.isoformat(),
                "advertiser": _money(rate.advertiser),
                "webmaster": _money(rate.webmaster),
            }
            for rate in goal.rates
        ]
        for offer in catalog.offers.values()
        for goal in offer.goals.values()
    }
    personal = {
        f"{webmaster} {offer}/{goal}": [
            {
                "version": rate.version,
                "effective_from": rate.effective_from.isoformat(),
                "webmaster": _money(rate.webmaster),
            }
            for rate in rates
        ]
        for (webmaster, offer, goal), rates in catalog.personal_rates.items()
    }
    return {"catalog_version": catalog.version, "goal_rates": goals, "personal_rates": personal}


def _money(money: Money) -> str:
    wire = money.to_wire()
    return f"{wire['amount']} {wire['currency']}"


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
