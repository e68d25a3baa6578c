"""A recalculation never rewrites a closed period: what it changes there is carried forward.

A rebuild replays every lead under the current rules, so a back-dated rate would re-price leads
whose money was closed (and perhaps paid) months ago. Before the rebuilt ledger replaces the live
one, the entries of the closed periods are put back as they were, and for each lead the
difference between what the replay booked in the closed periods and what they hold is booked in
the open period as an `adjusted` posting of the recalculation (its `recalculation_id` is the
cause; `recorded_at` is when it was booked, so it lands in the open period, and `effective_at`
is the lead's conversion time, the fact its price is of). Each lead's entries
still add up to the position its events give under the current rules, and every account's
balance is the rebuilt one: only *when* the change is booked differs.

Worked example: November is closed with lead L approved at 10.00 USD for wm-1. In December the
rate of L's goal becomes 12.00 from October on, and a rebuild runs. The closed November entries
of L stay at 10.00; December gets one posting for L: webmaster:wm-1 approved -2.00 and network
approved +2.00 (and the advertiser side if it moved), all `adjusted`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid5

import psycopg
from psycopg import sql

from domain.catalog_view import CatalogView
from domain.lead_state import amounts_of, fold
from domain.ledger import entries_for
from projections.commission_ledger.projection import position_for
from projections.commission_ledger.schema import ENTRY_COLUMNS

ADJUSTMENT_EVENT = "Recalculation"

_COLUMNS = sql.SQL(", ").join(sql.Identifier(column) for column in ENTRY_COLUMNS)


def last_close(cursor: psycopg.Cursor, live: str) -> dict | None:
    """The bounds of the latest close, from the live periods read model (None: none yet)."""
    table = sql.Identifier(live, "periods")
    found = cursor.execute("SELECT to_regclass(%s) AS t", (f'"{live}".periods',)).fetchone()
    if found["t"] is None:
        return None
    return cursor.execute(
        sql.SQL("SELECT covers_through, until FROM {} ORDER BY number DESC LIMIT 1").format(table)
    ).fetchone()


def carry_forward(
    cursor: psycopg.Cursor,
    live: str,
    rebuilt: str,
    recalculation_id: UUID,
    booked_at: datetime,
    position: int,
) -> list[dict]:
    """Restore the closed entries in the rebuilt ledger and book the differences after them.

    Run once the replay has reached `position`, before the rebuilt tables are indexed.

    Returns the adjustments, one per lead, account, bucket and currency, for the rebuild's record
    (what a preview shows as landing in the open period)."""
    close = last_close(cursor, live)
    if close is None:
        return []
    params = {
        "through": close["covers_through"],
        "until": close["until"],
        "recalculation": recalculation_id,
        "booked_at": booked_at,
        "position": position,
    }
    closed = sql.SQL("position <= %(through)s AND recorded_at < %(until)s")
    names = {
        "live": sql.Identifier(live, "ledger_entries"),
        "rebuilt": sql.Identifier(rebuilt, "ledger_entries"),
        "leads": sql.Identifier(rebuilt, "ledger_leads"),
        "closed": closed,
        "columns": _COLUMNS,
    }
    differences = cursor.execute(
        sql.SQL(
            "SELECT lead_id, account, bucket, currency, sum(amount) AS amount FROM ("
            "SELECT lead_id, account, bucket, currency, amount FROM {rebuilt} WHERE {closed} "
            "UNION ALL SELECT lead_id, account, bucket, currency, -amount FROM {live} "
            "WHERE {closed}) d GROUP BY 1, 2, 3, 4 HAVING sum(amount) <> 0 "
            "ORDER BY 1, 2, 3, 4"
        ).format(**names),
        params,
    ).fetchall()
    # Closed entries first, as the live ledger holds them, then the replay's later ones, in
    # their order: readers list a lead's entries by id.
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE carried ON COMMIT DROP AS SELECT id AS ord, {columns} "
            "FROM {rebuilt} WHERE NOT ({closed})"
        ).format(**names),
        params,
    )
    cursor.execute(sql.SQL("DELETE FROM {rebuilt}").format(**names))
    cursor.execute(
        sql.SQL(
            "INSERT INTO {rebuilt} ({columns}) SELECT {columns} FROM {live} WHERE {closed} "
            "ORDER BY id"
        ).format(**names),
        params,
    )
    cursor.execute(
        sql.SQL(
            "INSERT INTO {rebuilt} ({columns}) SELECT {columns} FROM carried ORDER BY ord"
        ).format(**names)
    )
    cursor.execute("DROP TABLE carried")
    rows = [
        (
            adjustment_posting(recalculation_id, row["lead_id"]),
            row["lead_id"],
            position,
            ADJUSTMENT_EVENT,
            None,
            row["account"],
            row["bucket"],
            row["amount"],
            row["currency"],
            False,
            booked_at,
            recalculation_id,
        )  # fmt: skip
        for row in differences
    ]
    if rows:
        cursor.executemany(
            sql.SQL(
                "INSERT INTO {rebuilt} ({columns}) SELECT %s, %s, %s, %s, %s, "
                "coalesce((SELECT rule_version FROM {leads} WHERE id = %s), ''), "
                "%s, %s, %s, %s, %s, %s, %s, "
                "coalesce((SELECT created_at FROM {leads} WHERE id = %s), %s), NULL"
            ).format(**names),
            [(*row[:5], row[1], *row[5:], row[1], booked_at) for row in rows],
        )
    return [
        {
            "lead_id": str(row["lead_id"]),
            "account": row["account"],
            "bucket": row["bucket"],
            "currency": row["currency"],
            "amount": str(row["amount"]),
        }
        for row in differences
    ]


def adjustment_posting(recalculation_id: UUID, lead_id: UUID) -> UUID:
    """One posting per lead and recalculation: its adjustments sum to zero per currency."""
    return uuid5(recalculation_id, str(lead_id))


def foreseen_adjustments(
    cursor: psycopg.Cursor, events: dict[UUID, list], catalog: CatalogView
) -> list[dict]:
    """What a rebuild under `catalog` would carry forward for these leads (a preview's answer).

    `events`: each lead's positioned events (`projections.eventlog.events.events_of`). A lead's
    closed money is what its events inside the last close's bounds book; the difference between
    that priced now and what the ledger holds for them is what lands in the open period."""
    schema = cursor.execute("SELECT current_schema() AS s").fetchone()["s"]
    close = last_close(cursor, schema)
    if close is None:
        return []
    through, until = close["covers_through"], close["until"]
    found = []
    for lead_id, lead_events in sorted(events.items()):
        state = None
        for positioned in lead_events:
            if positioned.position <= through and positioned.timestamp < until:
                state = fold(state, positioned.event)
        sums: dict[tuple[str, str, str], Decimal] = {}
        if state is not None:
            new = position_for(state, amounts_of(state, catalog))
            for entry in entries_for(new):
                key = (entry.account, entry.bucket.value, entry.amount.currency)
                sums[key] = sums.get(key, Decimal(0)) + entry.amount.amount
        for row in cursor.execute(_CLOSED_SUMS, (lead_id, through, until)).fetchall():
            key = (row["account"], row["bucket"], row["currency"])
            sums[key] = sums.get(key, Decimal(0)) - row["amount"]
        found += [
            {
                "lead_id": str(lead_id),
                "account": key[0],
                "bucket": key[1],
                "currency": key[2],
                "amount": str(amount),
            }  # fmt: skip
            for key, amount in sorted(sums.items())
            if amount
        ]
    return found


_CLOSED_SUMS = (
    "SELECT account, bucket, currency, sum(amount) AS amount FROM ledger_entries "
    "WHERE lead_id = %s AND position <= %s AND recorded_at < %s GROUP BY 1, 2, 3"
)
