"""What an operator does to deliveries and their URLs: resend, cancel, suspend and resume.

Each runs in the caller's transaction, beside the sender: a URL's row is taken before its
deliveries, the order in which the sender records answers (`queue.record`), so the two never
deadlock.
"""

from __future__ import annotations

from uuid import UUID

import psycopg

from projections.deliveries.queue import PARK


def resend(cursor: psycopg.Cursor, delivery: UUID) -> bool:
    """Send a delivery again now, with a fresh allowance of attempts; False if unknown.

    It keeps its place in its lead's chain: it goes before later deliveries still pending, and
    after one in flight; sent after later ones were delivered, it is marked superseded."""
    return (
        cursor.execute(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = now(),"
            " retry_from = attempts, resent_at = now() WHERE id = %s",
            (delivery,),
        ).rowcount
        == 1
    )


def cancel(cursor: psycopg.Cursor, delivery: UUID) -> str | None:
    """Give up a pending delivery (the later ones of its lead and target go on); its state
    before, None if unknown. One being sent cannot be cancelled (its state says `in_flight`)."""
    row = cursor.execute(
        "SELECT state, in_flight FROM deliveries WHERE id = %s FOR UPDATE", (delivery,)
    ).fetchone()
    if row is None:
        return None
    if row["state"] == "pending" and not row["in_flight"]:
        cursor.execute("UPDATE deliveries SET state = 'cancelled' WHERE id = %s", (delivery,))
    return "in_flight" if row["in_flight"] else row["state"]


def suspend(cursor: psycopg.Cursor, target: UUID) -> bool:
    found = cursor.execute(
        "UPDATE delivery_targets SET suspended_at = coalesce(suspended_at, now()) WHERE id = %s",
        (target,),
    ).rowcount
    cursor.execute(PARK, (target,))
    return found == 1


def resume(cursor: psycopg.Cursor, target: UUID) -> bool:
    """Lift a suspension; the deliveries that waited are due at once. The URL's row first,
    then its deliveries: the order `record` takes them in."""
    found = cursor.execute(
        "UPDATE delivery_targets SET suspended_at = NULL, consecutive_failures = 0 WHERE id = %s",
        (target,),
    ).rowcount
    cursor.execute(
        "UPDATE deliveries SET next_attempt_at = now(), retry_from = attempts"
        " WHERE target = %s AND state = 'pending'",
        (target,),
    )
    return found == 1
