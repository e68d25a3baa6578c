"""An operator resuming a URL while the sender records answers for it: both go through.

`record` moved the deliveries and then counted the URL's failures (its `delivery_targets`
row); `resume` lifted the suspension (that row) and then made the deliveries due. Taken in
opposite orders, the two locks deadlocked: schemathesis saw `POST
/api/deliveries/targets/{id}/resume` answered 503, a PostgreSQL deadlock in the server's log.
Both now take the URL's row first."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from projections.deliveries import operator_actions, queue, schema
from tests.fault_controls import wait_until


def _queued(target: uuid.UUID, count: int) -> list[queue.Queued]:
    now = datetime.now(UTC)
    return [
        queue.Queued(
            uuid.uuid4(), uuid.uuid4(), "wm-1", "created", 1, now, target,
            "http://tracker.example/pb", "GET", b"", None, None, "tracker.example",
        )
        for _ in range(count)
    ]  # fmt: skip


def _waiting_for_a_lock(database) -> bool:
    with psycopg.connect(database.conninfo(), autocommit=True) as watcher:
        return bool(
            watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database() AND pid <> pg_backend_pid()"
                " AND query LIKE '%%delivery%%'"
            ).fetchall()
        )


def test_a_resume_and_a_batch_of_answers_for_the_same_url_do_not_deadlock(services, database):
    target = uuid.uuid4()
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        schema.create_tables(cursor)
        rows = _queued(target, 2)
        queue.queue(cursor, rows, {target: rows[0].url})
        claimed = queue.claim(cursor, 1, [])
        queue.started(
            cursor, [(r["id"], r["target"], r["attempts"], r["url"], "GET") for r in claimed]
        )
    [sent] = claimed
    now = datetime.now(UTC)
    answer = queue.Attempt(
        sent["id"], target, sent["attempts"], now, sent["url"], "GET", 503, None, "busy", 2.0,
        "retry", now + timedelta(minutes=1),
    )  # fmt: skip

    failures: list[BaseException] = []
    operator = psycopg.connect(database.conninfo(), row_factory=psycopg.rows.dict_row)
    try:
        # The operator's resume has begun: it holds the URL's row, as its first statement does.
        operator.execute("SELECT 1 FROM delivery_targets WHERE id = %s FOR UPDATE", (target,))

        def record_answers() -> None:
            try:
                with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
                    queue.record(cursor, [answer], suspend_after=10)
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

        sender = threading.Thread(target=record_answers)
        sender.start()
        assert wait_until(lambda: _waiting_for_a_lock(database), 10), "the sender never waited"
        with operator.cursor() as cursor:
            assert operator_actions.resume(
                cursor, target
            )  # its deliveries: the sender must not hold them
        operator.commit()
        sender.join(30)
    except psycopg.errors.DeadlockDetected as error:
        failures.append(error)
    finally:
        operator.close()
    assert not failures, failures
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        kept = cursor.execute(
            "SELECT outcome FROM delivery_attempts WHERE delivery = %s", (sent["id"],)
        ).fetchall()
    assert [row["outcome"] for row in kept] == ["retry"]
