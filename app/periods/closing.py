"""Closing a period: seal what the ledger holds up to `until`, chained to the previous close.

Get → decide → save, as every command here: the closes so far are read from the event store
(the source of truth, never a read model that may lag), the statements are drawn from the
ledger in one transaction that also keeps a rebuild from starting, and the Period is saved while
that transaction still holds it off. Two closes racing for the same period number collide in the
store (`domain.period.period_id`): the loser is told, nothing of it is stored.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.persistence import IntegrityError

from app.eventstore.application import LedgerApplication
from domain.period import GENESIS_SEAL, Period, period_id, seal_of
from domain.period_statements import statements_for
from projections.commission_ledger.projection import PROJECTION_NAME as LEDGER
from projections.periods import entries
from projections.periods.entries import Bounds
from projections.rebuild.schema import hold_rebuilds_off
from projections.runner import tracked_positions, wait_for_position

# Held whole by a close, shared by each payout being booked: neither sees the other half done.
CLOSE_LOCK = 0x636C6F7365  # "close"


def payouts_may_book(cursor) -> bool:
    """Hold closes off until this transaction ends; False if a close is running now."""
    return cursor.execute(
        "SELECT pg_try_advisory_xact_lock_shared(%s) AS free", (CLOSE_LOCK,)
    ).fetchone()["free"]


def _close_may_run(cursor) -> bool:
    return cursor.execute("SELECT pg_try_advisory_xact_lock(%s) AS free", (CLOSE_LOCK,)).fetchone()[
        "free"
    ]


class CloseRefused(Exception):
    """The close cannot be made; `status` is the HTTP status that says why (422 or 409)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def closed_periods(ledger: LedgerApplication) -> list[Period]:
    """Every closed period, the first first (read from the store, one aggregate per close)."""
    periods: list[Period] = []
    while (found := ledger.get_or_none(period_id(len(periods) + 1))) is not None:
        periods.append(found)
    return periods


def bounds_of(period: Period | None) -> Bounds | None:
    return None if period is None else Bounds(period.covers_through, period.until)


def close_period(
    ledger: LedgerApplication, until: datetime, now: datetime, actor: str, wait_seconds: float
) -> Period:
    """Close the open period at `until`; the Period saved, or CloseRefused saying why not."""
    if until > now:
        raise CloseRefused(422, f"until {until.isoformat()} is in the future: only the past closes")
    closes = closed_periods(ledger)
    last = closes[-1] if closes else None
    if last is not None and until <= last.until:
        raise CloseRefused(
            409,
            f"until {until.isoformat()} is not after the last close (period {last.number} "
            f"ended {last.until.isoformat()}): a closed period never changes",
        )
    # Entries already stored reach the ledger within moments; wait for them, within reason.
    wait_for_position(ledger, LEDGER, ledger.recorder.max_notification_id() or 0, wait_seconds)
    with ledger.recorder.datastore.transaction(commit=False) as cursor:
        if not hold_rebuilds_off(cursor):
            raise CloseRefused(409, "a rebuild is running; close the period when it has finished")
        if not _close_may_run(cursor):
            raise CloseRefused(409, "another close or a payout is being booked; try again")
        through = max(
            tracked_positions(cursor, [LEDGER])[LEDGER], last.covers_through if last else 0
        )
        previous, bounds = bounds_of(last), Bounds(through, until)
        statements = statements_for(
            last.statements if last else [],
            entries.movements(cursor, previous, bounds),
            entries.adjustments(cursor, previous, bounds),
            entries.settlements(cursor, previous, bounds),
        )
        count, entries_hash = entries.digest(cursor, previous, bounds)
        number = len(closes) + 1
        previous_seal = last.seal if last else GENESIS_SEAL
        period = Period(
            number=number,
            starts_at=last.until if last else None,
            until=until,
            covers_through=through,
            statements=statements,
            entry_count=count,
            entries_hash=entries_hash,
            previous_seal=previous_seal,
            seal=seal_of(previous_seal, entries_hash, number, until, through, statements),
            closed_by=actor,
        )
        try:
            ledger.save(period)  # while this transaction still holds rebuilds off
        except IntegrityError as taken:
            raise CloseRefused(
                409, f"period {number} was closed at the same moment by another request"
            ) from taken
    return period
