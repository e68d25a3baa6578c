"""Comparing a rebuild's tables (in its own schema) with the live ones, at the same position.

Both sides are read in the switching transaction, after the rebuild has caught up with the live
tables, so every difference is due to the rules and none to timing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from domain.money import Money
from projections.commission_ledger.differences import AccountKey, account_lines, lead_lines
from projections.commission_ledger.projection import booked_position

_BOOKED = ("status", "advertiser_amount", "advertiser_currency", "webmaster_amount",
           "webmaster_currency")  # fmt: skip
_VIEWED = (*_BOOKED, "goal", "rule_version")


def _changed_rows(
    cursor: psycopg.Cursor, live: str, rebuilt: str, table: str, columns: tuple[str, ...]
) -> list[tuple[dict | None, dict | None]]:
    """(old, new) row pairs of the leads whose given columns differ between the two tables."""
    old_table, new_table = sql.Identifier(live, table), sql.Identifier(rebuilt, table)
    differs = sql.SQL(" OR ").join(
        sql.SQL("o.{0} IS DISTINCT FROM n.{0}").format(sql.Identifier(c)) for c in columns
    )
    ids = [
        row["id"]
        for row in cursor.execute(
            sql.SQL(
                "SELECT coalesce(o.id, n.id) AS id FROM {} o FULL JOIN {} n ON o.id = n.id "
                "WHERE o.id IS NULL OR n.id IS NULL OR {} ORDER BY 1"
            ).format(old_table, new_table, differs)
        ).fetchall()
    ]
    old, new = _rows(cursor, old_table, ids), _rows(cursor, new_table, ids)
    return [(old.get(lead_id), new.get(lead_id)) for lead_id in ids]


def _rows(cursor: psycopg.Cursor, table: sql.Composable, ids: list) -> dict:
    statement = sql.SQL("SELECT * FROM {} WHERE id = ANY(%s)").format(table)
    return {row["id"]: row for row in cursor.execute(statement, (ids,)).fetchall()}


def ledger_differences(cursor: psycopg.Cursor, live: str, rebuilt: str) -> dict[str, list]:
    """Per lead and per account, where the rebuilt ledger books other amounts than the live one."""
    leads: list[dict[str, Any]] = []
    for old, new in _changed_rows(cursor, live, rebuilt, "ledger_leads", _BOOKED):
        lead_id = (old or new)["id"]
        before = booked_position(old) if old else None
        after = booked_position(new) if new else None
        leads += lead_lines(lead_id, before, after)
    accounts = account_lines(_balances(cursor, live), _balances(cursor, rebuilt))
    return {"leads": leads, "accounts": accounts}


def lead_view_differences(cursor: psycopg.Cursor, live: str, rebuilt: str) -> list[dict]:
    """Per lead, the lead view's fields that the rebuild shows otherwise."""
    lines = []
    for old, new in _changed_rows(cursor, live, rebuilt, "lead_view", _VIEWED):
        before, after = _shown(old), _shown(new)
        lead_id = str((old or new)["id"])
        for field in before.keys() | after.keys():
            if before.get(field) != after.get(field):
                lines.append(
                    {"lead": lead_id, "field": field, "old": before.get(field),
                     "new": after.get(field)}
                )  # fmt: skip
    return sorted(lines, key=lambda line: (line["lead"], line["field"]))


def _shown(row: dict | None) -> dict[str, str | None]:
    if row is None:
        return {}
    return {
        "status": row["status"],
        "goal": row["goal"],
        "rule_version": row["rule_version"],
        "advertiser_payout": _money(row, "advertiser"),
        "webmaster_commission": _money(row, "webmaster"),
    }


def _money(row: dict, side: str) -> str | None:
    amount, currency = row[f"{side}_amount"], row[f"{side}_currency"]
    if amount is None or currency is None:
        return None
    wire = Money(amount, currency).to_wire()
    return f"{wire['amount']} {wire['currency']}"


def _balances(cursor: psycopg.Cursor, schema: str) -> dict[AccountKey, Decimal]:
    rows = cursor.execute(
        sql.SQL("SELECT account, bucket, currency, amount FROM {}").format(
            sql.Identifier(schema, "ledger_balances")
        )
    ).fetchall()
    return {(r["account"], r["bucket"], r["currency"]): r["amount"] for r in rows}
