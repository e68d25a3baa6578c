"""Counting leads and ledger entries per natural key, straight from the store and the tables.

The fault tests must see a duplicate themselves rather than trust `audit check` alone (which has
its own tests, tests/audit/test_check.py). A lead is named by (click, exto) or (flow, exto): two
lead ids for one such pair is a duplicated lead, whatever their versions say. A ledger entry is
named by the event that posted it and what it books: the same lead, position, recalculation,
account, bucket, amount and direction twice is an event applied twice.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import psycopg

from app.eventstore.database import DatabaseAddress
from domain.lead import Lead

ENTRY_KEY = (
    "lead_id, position, recalculation_id, account, bucket, amount, currency, reverses"
)  # fmt: skip


def natural_key(created: Lead.Created) -> tuple | None:
    """The pair that names a lead; None for a flow lead created without exto (named by nothing)."""
    if created.click is not None:
        return ("click", created.click, created.exto or "")
    if created.exto is not None:
        return ("flow", created.flow, created.exto)
    return None


def duplicated_leads(events: list) -> dict[tuple, set[UUID]]:
    """Every natural key that more than one lead id was created for."""
    ids: dict[tuple, set[UUID]] = defaultdict(set)
    for event in events:
        if isinstance(event, Lead.Created) and (key := natural_key(event)) is not None:
            ids[key].add(event.originator_id)
    return {key: found for key, found in ids.items() if len(found) > 1}


def assert_each_lead_and_entry_held_once(database: DatabaseAddress) -> None:
    """The read models hold one lead per natural key, each entry once, balances = their sums."""
    with psycopg.connect(database.conninfo()) as connection:
        leads = connection.execute(
            "SELECT click IS NULL AS by_flow, coalesce(click, flow::text) AS source, "
            "coalesce(exto, '') AS exto, count(*) FROM lead_view "
            "WHERE click IS NOT NULL OR exto IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1"
        ).fetchall()
        entries = connection.execute(
            f"SELECT {ENTRY_KEY}, count(*) FROM ledger_entries "
            f"GROUP BY {ENTRY_KEY} HAVING count(*) > 1"
        ).fetchall()
        balances = connection.execute(
            "SELECT account, bucket, currency, b.amount, e.total FROM ledger_balances b "
            "FULL JOIN (SELECT account, bucket, currency, sum(amount) AS total "
            "FROM ledger_entries GROUP BY 1, 2, 3) e USING (account, bucket, currency) "
            "WHERE coalesce(b.amount, 0) <> coalesce(e.total, 0)"
        ).fetchall()
    assert leads == [], f"two leads for one natural key in the lead view: {leads[:5]}"
    assert entries == [], f"ledger entries booked twice: {entries[:5]}"
    assert balances == [], f"balances differing from their entries: {balances[:5]}"
