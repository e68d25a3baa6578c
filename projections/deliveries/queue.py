"""Writes to the delivery tables by the notifier and its sender: queue, claim, record an attempt.
What an operator does to them (resend, cancel, suspend, resume) is in `operator_actions`.

Every state change of a delivery happens here, in the caller's transaction. Claiming marks rows
`in_flight` (committed before anything is sent); only the one leading sender claims, so rows
still in flight when a sender takes the lead were left by a dead one and are released at once:
they are sent again under the same delivery id, which receivers use to drop repeats.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from uuid import UUID

import psycopg


@dataclass(frozen=True)
class Queued:
    """A delivery as the notifier queues it."""

    id: UUID
    lead: UUID
    webmaster: str
    event: str
    position: int
    event_at: datetime
    target: UUID
    url: str
    method: str
    body: bytes
    content_type: str | None
    secret: str | None
    host: str
    url_secret: str | None = None  # a key in the URL's path, masked wherever the URL is shown


@dataclass(frozen=True)
class Attempt:
    """One attempt's result; `outcome` is delivered, retry or failed."""

    delivery: UUID
    target: UUID
    attempt: int
    at: datetime
    url: str
    method: str
    http_status: int | None
    error: str | None
    response: str
    duration_ms: float
    outcome: str
    next_attempt_at: datetime | None
    host: str = ""  # the sender's own bookkeeping (requests in flight per host); not stored


# One statement per batch, its columns as arrays: a statement per row (executemany) cost
# PostgreSQL a parse, bind and execute each, which capped the sender (docs/performance.md).
_QUEUE = (
    "INSERT INTO deliveries (id, lead, webmaster, event, position, event_at, target, url, method,"
    " body, content_type, secret, host, url_secret, next_attempt_at)"
    " SELECT q.*, CASE WHEN t.suspended_at IS NULL THEN now() END"
    " FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::bigint[],"
    " %s::timestamptz[], %s::uuid[], %s::text[], %s::text[], %s::bytea[], %s::text[], %s::text[],"
    " %s::text[], %s::text[]) AS q(id, lead, webmaster, event, position, event_at, target, url,"
    " method, body, content_type, secret, host, url_secret)"
    " LEFT JOIN delivery_targets t ON t.id = q.target ON CONFLICT DO NOTHING"
)

# A suspended URL's waiting deliveries have no time of their next attempt (`resume` gives them
# one): the claim walks `deliveries_due` up to now, and a URL suspended with 2,000 waiting made
# every claim read past those 2,000 first (100,000 waiting would have cost each claim tens of
# milliseconds). Rows queued by a transaction that began before the suspension may keep their
# time; the claim still skips them by their URL.
PARK = (
    "UPDATE deliveries SET next_attempt_at = NULL"
    " WHERE target = %s AND state = 'pending' AND NOT in_flight"
)


def _columns(rows: Sequence[tuple]) -> list[list]:
    """Rows -> one list per column, as the `unnest(…)` statements take them."""
    return [list(column) for column in zip(*rows, strict=True)]


def queue(cursor: psycopg.Cursor, deliveries: Sequence[Queued], targets: dict[UUID, str]) -> None:
    """Queue deliveries (a delivery id queued before is left as it is) and know their URLs."""
    if targets:
        cursor.executemany(
            "INSERT INTO delivery_targets (id, url) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            list(targets.items()),
        )
    if deliveries:
        # Field by field: `dataclasses.astuple` deep-copies every value (8% of the notifier).
        names = [field.name for field in fields(Queued)]
        cursor.execute(_QUEUE, _columns([[getattr(d, n) for n in names] for d in deliveries]))


# Only the head of each (lead, target) chain is claimed: a delivery waits while an earlier one of
# its lead and target is still pending (due later, waiting for a retry, or suspended) or while
# any of its chain is in flight (a resend of an old delivery must not race a later one). Other
# leads keep flowing. One sender claims at a time (the leader), so a chain is never sent twice
# at once. `superseded`: a resent delivery whose lead already reached this target with a later
# event (the sender marks it, so a tracker keeping the last status it hears can tell).
_CLAIM = """UPDATE deliveries SET in_flight = true, attempts = attempts + 1 WHERE id IN (
    SELECT d.id FROM deliveries d JOIN delivery_targets t ON t.id = d.target
    WHERE d.state = 'pending' AND NOT d.in_flight AND d.next_attempt_at <= now()
      AND t.suspended_at IS NULL AND d.host <> ALL(%s)
      AND NOT EXISTS (SELECT FROM deliveries e WHERE e.lead = d.lead AND e.target = d.target
        AND e.state = 'pending' AND (e.position < d.position OR e.in_flight))
    ORDER BY d.next_attempt_at LIMIT %s FOR UPDATE OF d SKIP LOCKED)
  RETURNING *, resent_at IS NOT NULL AND EXISTS (SELECT FROM deliveries l
    WHERE l.lead = deliveries.lead AND l.target = deliveries.target
      AND l.position > deliveries.position AND l.state = 'delivered') AS superseded"""


# The claim walks `deliveries_due` in its order and stops at the limit. Planned from estimates
# of a queue that filled faster than it was analysed, PostgreSQL chose instead to judge every
# due row and sort them: each claim of 32 cost time in proportion to the whole backlog (3 ms at
# 1,000 rows, 25 ms at 2,000 on a loaded machine), so a growing queue slowed its own draining.
_IN_DUE_ORDER = ("SET LOCAL enable_sort = off", "SET LOCAL enable_bitmapscan = off")


def claim(cursor: psycopg.Cursor, limit: int, busy_hosts: Sequence[str]) -> list[dict]:
    """Up to `limit` due deliveries, each the head of its lead and target's chain, of URLs not
    suspended, hosts in `busy_hosts` left out; each counts its attempt now, so a crash mid-send
    still counts it."""
    for setting in _IN_DUE_ORDER:  # one statement each: a pipeline takes no multi-statement text
        cursor.execute(setting)
    return cursor.execute(_CLAIM, (list(busy_hosts), limit)).fetchall()


def started(cursor: psycopg.Cursor, attempts: Sequence[tuple[UUID, UUID, int, str, str]]) -> None:
    """Record claimed attempts (delivery, target, attempt, masked URL, method) before they are
    sent: a crash before the answer is recorded leaves an attempt whose outcome is unknown, not
    none."""
    if attempts:
        cursor.execute(
            "INSERT INTO delivery_attempts (delivery, target, attempt, at, url, method,"
            " duration_ms, outcome) SELECT d, t, a, now(), u, m, 0, 'sending'"
            " FROM unnest(%s::uuid[], %s::uuid[], %s::int[], %s::text[], %s::text[])"
            " AS s(d, t, a, u, m) ON CONFLICT DO NOTHING",
            _columns(attempts),
        )


def release_in_flight(cursor: psycopg.Cursor, keep: Collection[UUID] = ()) -> int:
    """Make deliveries a dead sender had claimed due again, their attempt's outcome unknown (it
    may have reached the receiver); `keep`: the caller's own claims, still being sent."""
    cursor.execute(
        "UPDATE delivery_attempts a SET outcome = 'unknown',"
        " error = 'the sender stopped before the answer was recorded'"
        " FROM deliveries d WHERE d.in_flight AND d.id <> ALL(%s::uuid[])"
        " AND a.delivery = d.id AND a.attempt = d.attempts AND a.outcome = 'sending'",
        (list(keep),),
    )
    return cursor.execute(
        "UPDATE deliveries SET in_flight = false, next_attempt_at = now()"
        " WHERE in_flight AND id <> ALL(%s::uuid[])",
        (list(keep),),
    ).rowcount


def withhold(cursor: psycopg.Cursor, deliveries: Sequence[tuple[UUID, int]]) -> None:
    """Claimed deliveries (delivery, attempt) not sent after all (their URL was suspended
    meanwhile): they wait again as if never claimed."""
    cursor.executemany(
        "DELETE FROM delivery_attempts WHERE delivery = %s AND attempt = %s"
        " AND outcome = 'sending'",
        list(deliveries),
    )
    cursor.executemany(
        "UPDATE deliveries SET in_flight = false, attempts = attempts - 1,"
        " next_attempt_at = NULL WHERE id = %s AND attempts = %s",
        list(deliveries),
    )


def suspended_targets(cursor: psycopg.Cursor) -> frozenset[UUID]:
    rows = cursor.execute("SELECT id FROM delivery_targets WHERE suspended_at IS NOT NULL")
    return frozenset(row["id"] for row in rows.fetchall())


# A batch of answers in one statement: the deliveries move on, their attempts are stored.
_RECORD = (
    "WITH a AS (SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::int[], %s::timestamptz[],"
    " %s::text[], %s::text[], %s::int[], %s::text[], %s::text[], %s::float8[], %s::text[],"
    " %s::timestamptz[], %s::text[]) AS a(delivery, target, attempt, at, url, method,"
    " http_status, error, response, duration_ms, outcome, next_attempt_at, state)),"
    " moved AS (UPDATE deliveries d SET in_flight = false, state = a.state,"
    " next_attempt_at = a.next_attempt_at, delivered_at = CASE WHEN a.outcome = 'delivered'"
    " THEN now() ELSE d.delivered_at END FROM a WHERE d.id = a.delivery)"
    " INSERT INTO delivery_attempts (delivery, target, attempt, at, url, method, http_status,"
    " error, response, duration_ms, outcome, next_attempt_at)"
    " SELECT delivery, target, attempt, at, url, method, http_status, error, response,"
    " duration_ms, outcome, next_attempt_at FROM a ON CONFLICT (delivery, attempt)"
    " DO UPDATE SET at = excluded.at, url = excluded.url, http_status = excluded.http_status,"
    " error = excluded.error, response = excluded.response, duration_ms = excluded.duration_ms,"
    " outcome = excluded.outcome, next_attempt_at = excluded.next_attempt_at"
)
_STATES = {"delivered": "delivered", "retry": "pending", "failed": "failed"}


WITHHELD = "withheld"  # an Attempt's outcome when its URL was suspended before it was sent


def record(cursor: psycopg.Cursor, attempts: Sequence[Attempt], suspend_after: int) -> list[UUID]:
    """Store attempts, move their deliveries on, and count each URL's failures in a row; the
    URLs (target ids) this suspended."""
    withhold(cursor, [(a.delivery, a.attempt) for a in attempts if a.outcome == WITHHELD])
    attempts = [a for a in attempts if a.outcome != WITHHELD]
    if not attempts:
        return []
    # The URLs' rows first, as `operator_actions.resume` takes them: moving the deliveries
    # first and counting the URL's failures after deadlocked with an operator resuming it.
    cursor.execute(
        "SELECT 1 FROM delivery_targets WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
        (sorted({a.target for a in attempts}),),
    )
    latest = {(a.delivery, a.attempt): a for a in attempts}  # one row each per statement
    cursor.execute(
        _RECORD,
        _columns([
            (a.delivery, a.target, a.attempt, a.at, a.url, a.method, a.http_status, a.error,
             a.response, a.duration_ms, a.outcome, a.next_attempt_at, _STATES[a.outcome])
            for a in latest.values()
        ]),
    )  # fmt: skip
    return [
        target
        for target, (reset, failures) in _runs(attempts).items()
        if _count(cursor, target, reset, failures, suspend_after)
    ]


def _runs(attempts: Sequence[Attempt]) -> dict[UUID, tuple[bool, int]]:
    """Per target: whether a delivery succeeded, and the failures in a row since (or in all)."""
    runs: dict[UUID, tuple[bool, int]] = {}
    for a in attempts:  # in order: a success after failures resets the count
        reset, failures = runs.get(a.target, (False, 0))
        runs[a.target] = (True, 0) if a.outcome == "delivered" else (reset, failures + 1)
    return runs


def _count(
    cursor: psycopg.Cursor, target: UUID, reset: bool, failures: int, suspend_after: int
) -> bool:
    """One statement per URL and batch: its failures in a row, suspended when too many;
    whether this suspended it."""
    row = cursor.execute(
        "UPDATE delivery_targets SET"
        " consecutive_failures = CASE WHEN %(reset)s THEN 0 ELSE consecutive_failures END"
        " + %(failures)s,"
        " suspended_at = CASE WHEN suspended_at IS NULL AND %(failures)s > 0 AND"
        " (CASE WHEN %(reset)s THEN 0 ELSE consecutive_failures END) + %(failures)s >= %(limit)s"
        " THEN now() ELSE suspended_at END WHERE id = %(target)s"
        " RETURNING (SELECT suspended_at IS NULL FROM delivery_targets WHERE id = %(target)s)"
        " AND suspended_at IS NOT NULL AS suspended_now",
        {"reset": reset, "failures": failures, "limit": suspend_after, "target": target},
    ).fetchone()
    if row and row["suspended_now"]:
        cursor.execute(PARK, (target,))
    return bool(row and row["suspended_now"])
