"""Which leads a retroactive rate change would reprice: a dry run limited to those it can touch.

A rate version that starts in the past changes the amounts of leads created since it starts, but
the ledger keeps what it booked until a rebuild. Right after such a change, this replays the
events of the leads of that offer and goal (and webmaster, for a personal rate) created since
then, prices them with the new catalog and compares with what the ledger books now. It is
recorded like any dry run (`recalculations`), so the warning itself is on record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from domain.catalog import RetroactiveRateChange
from domain.catalog_view import CatalogView
from domain.lead_state import LeadState, amounts_of, fold
from domain.ledger import Position
from projections.commission_ledger import recalculations
from projections.commission_ledger.differences import (
    AccountKey,
    account_lines,
    lead_lines,
    moved_balances,
    price_line,
)
from projections.commission_ledger.projection import PROJECTION_NAME, booked_position, position_for
from projections.commission_ledger.recalculations import Recalculation
from projections.eventlog.events import events_of
from projections.eventlog.store import EventStore
from projections.periods.carry_forward import foreseen_adjustments


def preview_rate_changes(
    app: EventStore,
    changes: Sequence[RetroactiveRateChange],
    catalog: CatalogView,
    actor: str,
    version_before: int | None = None,
) -> Recalculation | None:
    """The recorded dry run of what a rebuild would change; None when nothing is retroactive."""
    if not changes:
        return None
    started = datetime.now(UTC)
    with app.recorder.datastore.transaction(commit=True) as cursor:
        rows = {row["id"]: row for row in _candidates(cursor, changes)}
        booked = {lead_id: booked_position(row) for lead_id, row in rows.items()}
        events = events_of(app, cursor, booked)
        repriced: dict[UUID, tuple[Position | None, Position | None]] = {}
        relabelled: list[dict[str, str]] = []  # same amounts, another rule version
        for lead_id, lead_events in events.items():
            state: LeadState | None = None
            for positioned in lead_events:
                state = fold(state, positioned.event)
            if state is not None:
                amounts = amounts_of(state, catalog)
                new = position_for(state, amounts)
                if new != booked[lead_id]:
                    repriced[lead_id] = (booked[lead_id], new)
                elif amounts.rule_version != rows[lead_id]["rule_version"]:
                    relabelled.append(_label_line(lead_id, rows[lead_id], amounts.rule_version))
        old = _balances(cursor)
        record = Recalculation(
            id=uuid4(),
            started_at=started,
            finished_at=datetime.now(UTC),
            actor=actor,
            dry_run=True,
            projections=[PROJECTION_NAME],
            rule_versions={
                **recalculations.rule_versions(catalog),
                "catalog_version_before": version_before,
            },
            events_processed=sum(len(lead_events) for lead_events in events.values()),
            differences={
                "leads": [
                    line
                    for lead_id, (before, after) in sorted(repriced.items())
                    for line in lead_lines(lead_id, before, after)
                ],
                "accounts": account_lines(old, moved_balances(old, repriced.values())),
                "repriced": [
                    price_line(lead_id, before, after)
                    for lead_id, (before, after) in sorted(repriced.items())
                ],
                "adjustments": foreseen_adjustments(
                    cursor, {lead: events[lead] for lead in repriced}, catalog
                ),
                "relabelled": relabelled,
            },
        )
        recalculations.insert(cursor, record)
    return record


def _label_line(lead_id: UUID, row: dict, rule_version: str) -> dict[str, str]:
    """As the rebuild's lead-view lines say it: the field, before and after."""
    old = row["rule_version"]
    return {"lead": str(lead_id), "field": "rule_version", "old": old, "new": rule_version}


def _candidates(cursor: psycopg.Cursor, changes: Sequence[RetroactiveRateChange]) -> list[dict]:
    """Leads of the changed goals created since the change starts: the only ones it can touch."""
    conditions, params = [], []
    for change in changes:
        condition = "(offer = %s AND goal = %s AND created_at >= %s"
        params += [change.offer, change.goal, change.effective_from]
        if change.webmaster is not None:
            condition += " AND webmaster = %s"
            params.append(change.webmaster)
        conditions.append(sql.SQL(condition + ")"))
    statement = sql.SQL("SELECT * FROM ledger_leads WHERE {}").format(
        sql.SQL(" OR ").join(conditions)
    )
    return cursor.execute(statement, params).fetchall()


def _balances(cursor: psycopg.Cursor) -> dict[AccountKey, Decimal]:
    rows = cursor.execute("SELECT account, bucket, currency, amount FROM ledger_balances")
    return {(r["account"], r["bucket"], r["currency"]): r["amount"] for r in rows.fetchall()}
