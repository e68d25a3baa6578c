"""The lead view: each lead's current state and amounts, one row a lead, for `GET /api/leads`.

Rows are folded from the lead's events (`domain.lead_state.fold`) and priced with the current
catalog, so a rebuild after a rule change prices every lead by the new rules.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from functools import cache
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from domain.catalog_view import CatalogView
from domain.lead import Lead
from domain.lead_state import LeadAmounts, LeadState, Pricing, fold
from domain.money import Money
from domain.statuses import Status
from projections.bulk_copy import copy_rows
from projections.unnest_upsert import UnnestUpsert

_COLUMNS = (
    "id", "click", "exto", "flow", "offer", "advertiser", "webmaster", "goal", "status",
    "advertiser_amount", "advertiser_currency", "webmaster_amount", "webmaster_currency",
    "advertiser_override_amount", "advertiser_override_currency",
    "webmaster_override_amount", "webmaster_override_currency",
    "rule_version", "created_at", "updated_at", "version", "last_postback_id", "position",
)  # fmt: skip
_TYPES = (
    "uuid", "text", "text", "int4", "text", "text", "text", "text", "text",
    "numeric", "text", "numeric", "text", "numeric", "text", "numeric", "text",
    "text", "timestamptz", "timestamptz", "int4", "uuid", "int8",
)  # fmt: skip
# Pages with more leads already in the table (a rebuild's) keep the staging table they were
# measured with.
_UNNEST_LIMIT = 200


LEAD_VIEW_TABLE = "lead_view"  # the read model's name, and its table's


class LeadViewProjection:
    """Keeps table `lead_view` (or another name, for rebuilds) equal to the fold of lead events."""

    def __init__(self, catalog: Callable[[], CatalogView], table: str = LEAD_VIEW_TABLE) -> None:
        self.name = LEAD_VIEW_TABLE
        self.table = table
        self._catalog = catalog
        self._pricing: Pricing | None = None

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        cursor.execute(
            sql.SQL(
                """CREATE TABLE IF NOT EXISTS {table} (
                id uuid PRIMARY KEY, click text, exto text, flow integer NOT NULL,
                offer text NOT NULL, advertiser text NOT NULL, webmaster text NOT NULL,
                goal text NOT NULL, status text NOT NULL,
                advertiser_amount numeric, advertiser_currency text,
                webmaster_amount numeric, webmaster_currency text,
                advertiser_override_amount numeric, advertiser_override_currency text,
                webmaster_override_amount numeric, webmaster_override_currency text,
                rule_version text NOT NULL, created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL, version integer NOT NULL,
                last_postback_id uuid NOT NULL, position bigint NOT NULL)"""
            ).format(table=sql.Identifier(self.table))
        )
        for column in ("click", "exto", "created_at"):
            cursor.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                    sql.Identifier(f"{self.table}_{column}"),
                    sql.Identifier(self.table),
                    sql.Identifier(column),
                )
            )

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        lead_events = [(i, e) for i, e in events if isinstance(e, Lead.Event)]
        if not lead_events:
            return
        created = created_here(lead_events)
        states = load_states(cursor, self.table, seen_before(lead_events, created))
        positions: dict[UUID, int] = {}
        for position, event in lead_events:
            states[event.originator_id] = fold(states.get(event.originator_id), event)
            positions[event.originator_id] = position
        self._pricing = pricing = Pricing.under(self._catalog(), self._pricing)
        rows = [view_row(states[i], pricing.amounts_of(states[i]), positions[i]) for i in positions]
        upsert_rows(cursor, self.table, rows, created)


def created_here(lead_events: Sequence[tuple[int, Any]]) -> set[UUID]:
    """The leads whose Created event is in these events: no table holds a row of them yet.

    A lead's Created is its first event, and the runner applies each event once, so skipping
    their lookup and inserting their rows without a conflict check changes nothing.
    """
    return {e.originator_id for _, e in lead_events if isinstance(e, Lead.Created)}


def seen_before(lead_events: Sequence[tuple[int, Any]], created: set[UUID]) -> set[UUID]:
    """The leads of these events that earlier events may have put in a table."""
    return {e.originator_id for _, e in lead_events} - created


def load_states(cursor: psycopg.Cursor, table: str, ids: set[UUID]) -> dict[UUID, LeadState]:
    if not ids:
        return {}
    rows = cursor.execute(select_by_ids(table), (list(ids),)).fetchall()
    return {row["id"]: state_from_row(row) for row in rows}


@cache
def select_by_ids(table: str) -> str:
    """Rendered once: psycopg renders a Composed again at every execute."""
    return sql.SQL("SELECT * FROM {} WHERE id = ANY(%s)").format(sql.Identifier(table)).as_string()


def state_from_row(row: dict) -> LeadState:
    return LeadState(
        id=row["id"],
        click=row["click"],
        exto=row["exto"],
        flow=row["flow"],
        offer=row["offer"],
        advertiser=row["advertiser"],
        webmaster=row["webmaster"],
        goal=row["goal"],
        status=Status(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        last_postback_id=row["last_postback_id"],
        advertiser_payout_override=_money(row, "advertiser_override"),
        webmaster_commission_override=_money(row, "webmaster_override"),
    )


def upsert_rows(
    cursor: psycopg.Cursor, table: str, rows: list[tuple], new: Container[UUID] = ()
) -> None:
    """Insert or replace whole rows by id; rows of the `new` leads are known to be absent.

    Those go straight into the table by COPY; the others in one statement, their columns as
    arrays, or for a page of many through a staging table. One INSERT per row cost a round
    trip and a statement each; a replay of a million events spent most of its time there.
    """
    fresh = [row for row in rows if row[0] in new]
    if fresh:
        copy_rows(cursor, table, _COLUMNS, _TYPES, fresh)
    if len(fresh) == len(rows):
        return
    seen = [row for row in rows if row[0] not in new]
    if len(seen) <= _UNNEST_LIMIT:
        _unnest_upsert(table).run(cursor, seen)
    else:
        _staged_upsert(cursor, table, seen)


@cache
def _unnest_upsert(table: str) -> UnnestUpsert:
    return UnnestUpsert(table, _COLUMNS, _TYPES, conflict=("id",))


def _staged_upsert(cursor: psycopg.Cursor, table: str, rows: list[tuple]) -> None:
    """COPY into a temporary table, then one INSERT … SELECT: for pages of many leads."""
    staging_table = f"{table}_staging"
    staging = sql.Identifier(staging_table)
    columns = sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
    cursor.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {} INCLUDING DEFAULTS)").format(
            staging, sql.Identifier(table)
        )
    )
    copy_rows(cursor, staging_table, _COLUMNS, _TYPES, rows)
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in _COLUMNS[1:]
    )
    cursor.execute(
        sql.SQL(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "
            "ON CONFLICT (id) DO UPDATE SET {updates}"
        ).format(table=sql.Identifier(table), columns=columns, staging=staging, updates=updates)
    )
    cursor.execute(sql.SQL("TRUNCATE {}").format(staging))


def view_row(state: LeadState, amounts: LeadAmounts, position: int) -> tuple:
    """A row of a lead_view-shaped table (also the ledger's `ledger_leads`), for `upsert_rows`."""
    adv, wm = amounts.advertiser_payout, amounts.webmaster_commission
    adv_o, wm_o = state.advertiser_payout_override, state.webmaster_commission_override
    return (
        state.id, state.click, state.exto, state.flow, state.offer, state.advertiser,
        state.webmaster, state.goal, state.status.value,
        adv.amount if adv else None, adv.currency if adv else None,
        wm.amount if wm else None, wm.currency if wm else None,
        adv_o.amount if adv_o else None, adv_o.currency if adv_o else None,
        wm_o.amount if wm_o else None, wm_o.currency if wm_o else None,
        amounts.rule_version, state.created_at, state.updated_at, state.version,
        state.last_postback_id, position,
    )  # fmt: skip


def _money(row: dict, prefix: str) -> Money | None:
    amount, currency = row[f"{prefix}_amount"], row[f"{prefix}_currency"]
    return Money(amount, currency) if amount is not None and currency is not None else None
