"""Are closed periods as they were sealed? The checks behind `audit verify` and `audit check`.

- `seal_problems` (verify): each close's seal is the one its content and its predecessor's seal
  give, and the ledger still holds exactly the entries whose hash was sealed: an entry of a
  closed period changed, deleted or added afterwards shows here.
- `statement_problems` (check): the statements drawn again from the entries equal the sealed
  ones, and the periods read model shows the sealed statements byte for byte.
"""

from __future__ import annotations

import psycopg

from app.eventstore.application import LedgerApplication
from app.periods.closing import bounds_of, closed_periods
from domain.period import GENESIS_SEAL, canonical
from domain.period_statements import differences, statements_for
from projections.periods import entries


def seal_problems(ledger: LedgerApplication, cursor: psycopg.Cursor) -> list[str]:
    problems, previous = [], None
    for period in closed_periods(ledger):
        name = f"period {period.number}"
        if period.previous_seal != (previous.seal if previous else GENESIS_SEAL):
            problems.append(f"{name}: its previous seal is not period {period.number - 1}'s seal")
        if not period.seal_holds:
            problems.append(f"{name}: the seal does not match the statements it seals")
        count, digest = entries.digest(cursor, bounds_of(previous), bounds_of(period))
        if (count, digest) != (period.entry_count, period.entries_hash):
            problems.append(
                f"{name}: the ledger's entries of the period no longer match the seal "
                f"(sealed {period.entry_count} entries, {period.entries_hash[:12]}…; "
                f"the ledger holds {count}, {digest[:12]}…)"
            )
        previous = period
    return problems


def statement_problems(ledger: LedgerApplication, cursor: psycopg.Cursor) -> list[str]:
    problems, previous = [], None
    has_read_model = cursor.execute(
        "SELECT to_regclass('period_statements') IS NOT NULL AS present"
    ).fetchone()["present"]
    for period in closed_periods(ledger):
        moved = entries.movements(cursor, bounds_of(previous), bounds_of(period))
        late = entries.adjustments(cursor, bounds_of(previous), bounds_of(period))
        settled = entries.settlements(cursor, bounds_of(previous), bounds_of(period))
        drawn = {
            (s["account"], s["currency"]): s
            for s in statements_for(previous.statements if previous else [], moved, late, settled)
        }
        for sealed in period.statements:
            key = (sealed["account"], sealed["currency"])
            for difference in differences(sealed, drawn.pop(key, None)):
                problems.append(f"period {period.number} {key[0]} {key[1]}: {difference}")
        for key in drawn:
            problems.append(f"period {period.number} {key[0]} {key[1]}: entries not sealed")
        if has_read_model:
            problems += _read_model_problems(cursor, period)
        previous = period
    return problems


def _read_model_problems(cursor: psycopg.Cursor, period) -> list[str]:
    rows = cursor.execute(
        "SELECT document FROM period_statements WHERE number = %s ORDER BY account, currency",
        (period.number,),
    ).fetchall()
    if not rows:
        return []  # not projected yet: lagging is not contradicting
    shown = [row["document"] for row in rows]
    sealed = sorted(canonical(s) for s in period.statements)
    if sorted(shown) != sealed:
        return [f"period {period.number}: the statements shown differ from the sealed ones"]
    return []
