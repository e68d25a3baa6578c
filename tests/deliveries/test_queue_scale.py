"""The queue's own cost under a backlog: a claim takes the first due heads and stops at its limit,
and a batch of answers is recorded whole, so a growing queue does not slow its own draining."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from projections.deliveries import operator_actions, queue, schema
from tests.plans import plan_nodes

BACKLOG = 3000
LIMIT = 32


class _Explaining:
    """A cursor that, before running the claim, runs it under EXPLAIN ANALYZE (which claims a
    first batch) and keeps the plan."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor
        self.plans: list[dict] = []

    def execute(self, query, params=None):
        if query.lstrip().startswith("UPDATE deliveries SET in_flight = true"):
            explained = self._cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query, params)
            self.plans.append(next(iter(explained.fetchone().values()))[0]["Plan"])
        return self._cursor.execute(query, params)


def _queued(count: int) -> list[queue.Queued]:
    target, now = uuid.uuid4(), datetime.now(UTC)
    return [
        queue.Queued(
            uuid.uuid4(), uuid.uuid4(), "wm-1", "created", n, now, target,
            "http://tracker.example/pb", "GET", b"", None, None, "tracker.example",
        )
        for n in range(count)
    ]  # fmt: skip


def test_a_claim_reads_about_its_limit_of_due_rows_not_the_whole_backlog(services):
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        schema.create_tables(cursor)
        rows = _queued(BACKLOG)
        queue.queue(cursor, rows, {rows[0].target: rows[0].url})
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        explaining = _Explaining(cursor)
        claimed = queue.claim(explaining, LIMIT, [])
    assert len(claimed) == LIMIT
    [plan] = explaining.plans
    read = [n for n in plan_nodes(plan) if n.get("Index Name") == "deliveries_due"]
    assert read, "the claim finds due deliveries through deliveries_due"
    assert sum(n["Actual Rows"] for n in read) <= 2 * LIMIT
    assert not [n for n in plan_nodes(plan) if n["Node Type"] == "Sort"]


def test_a_batch_of_answers_moves_each_delivery_and_keeps_each_attempt(services):
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        schema.create_tables(cursor)
        rows = _queued(5)
        queue.queue(cursor, rows, {rows[0].target: rows[0].url})
        claimed = queue.claim(cursor, 5, [])
        queue.started(
            cursor, [(r["id"], r["target"], r["attempts"], r["url"], r["method"]) for r in claimed]
        )
    now = datetime.now(UTC)
    outcomes = ["delivered", "retry", "failed", "delivered", "retry"]
    answers = [
        queue.Attempt(
            r["id"], r["target"], r["attempts"], now, r["url"], "GET", status, None, "x", 1.5,
            outcome, now if outcome == "retry" else None,
        )
        for r, outcome, status in zip(claimed, outcomes, [200, 503, 404, 204, 500], strict=True)
    ]  # fmt: skip
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        queue.record(cursor, answers, suspend_after=10)
        states = {r["id"]: r["state"] for r in cursor.execute("SELECT id, state FROM deliveries")}
        kept = cursor.execute(
            "SELECT delivery, outcome, http_status FROM delivery_attempts"
        ).fetchall()
    expected = {"delivered": "delivered", "retry": "pending", "failed": "failed"}
    assert {a.delivery: states[a.delivery] for a in answers} == {
        a.delivery: expected[a.outcome] for a in answers
    }
    assert sorted((k["outcome"], k["http_status"]) for k in kept) == sorted(
        (a.outcome, a.http_status) for a in answers
    )


def _anti_join_rows(plan: dict) -> float:
    """Rows the chain check read in all (the inner side of the claim's anti join)."""
    total = 0.0
    for node in plan_nodes(plan):
        if node["Node Type"] == "Nested Loop" and node.get("Join Type") == "Anti":
            inner = node["Plans"][1]
            for scanned in plan_nodes(inner):
                read = scanned.get("Actual Rows", 0) + scanned.get("Rows Removed by Filter", 0)
                total += read * scanned.get("Actual Loops", 1)
    return total


def test_each_chain_check_reads_its_own_lead_not_the_whole_url(services):
    """3,000 leads waiting for one URL: the check "is an earlier one of this lead and URL
    pending?" reads that lead's rows. Through an index on the URL alone it read every pending
    row of the URL for each candidate (31 ms per claim at 2,000 queued)."""
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        schema.create_tables(cursor)
        rows = _queued(BACKLOG)
        queue.queue(cursor, rows, {rows[0].target: rows[0].url})
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        explaining = _Explaining(cursor)
        assert len(queue.claim(explaining, LIMIT, [])) == LIMIT
    [plan] = explaining.plans
    assert _anti_join_rows(plan) <= 4 * LIMIT, plan


def test_a_suspended_urls_backlog_is_not_read_by_the_claims(services):
    """A URL suspended with 3,000 waiting: each claim used to read past all of them (they are
    due, only their URL is not), first in the due order, before finding what it could send."""
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        schema.create_tables(cursor)
        stuck = _queued(BACKLOG)
        queue.queue(cursor, stuck, {stuck[0].target: stuck[0].url})
        assert operator_actions.suspend(cursor, stuck[0].target)
        later = _queued(BACKLOG // 3)  # queued for the suspended URL after it was suspended
        later = [queue.Queued(**{**r.__dict__, "target": stuck[0].target}) for r in later]
        queue.queue(cursor, later, {})
        flowing = _queued(2 * LIMIT)  # the EXPLAIN ANALYZE claims a first batch itself
        queue.queue(cursor, flowing, {flowing[0].target: flowing[0].url})
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        explaining = _Explaining(cursor)
        claimed = queue.claim(explaining, LIMIT, [])
    assert {row["target"] for row in claimed} == {flowing[0].target}
    assert len(claimed) == LIMIT
    [plan] = explaining.plans
    read = [n for n in plan_nodes(plan) if n.get("Index Name") == "deliveries_due"]
    assert sum(n["Actual Rows"] for n in read) <= 2 * LIMIT, plan
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        assert operator_actions.resume(cursor, stuck[0].target)
        resumed = queue.claim(cursor, 2 * BACKLOG, [])  # the claims above were rolled back
        assert len(resumed) == BACKLOG + BACKLOG // 3 + 2 * LIMIT
