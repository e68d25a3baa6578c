"""Seen signatures live in PostgreSQL, in a table made on first use by whichever process gets
there first: several server workers meeting their first signed postbacks at the same moment
used to run its DDL at once, and one of them answered 500 ("type already exists")."""

from __future__ import annotations

import threading

from app.postbacks.replay_store import TABLE, ReplayStore

WORKERS = 4
ROUNDS = 100  # the collision showed about once in twenty rounds of four


def test_workers_making_the_table_at_once_all_answer(services):
    for round_number in range(ROUNDS):
        with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        outcomes = first_uses_at_once(services.ledger, round_number)
        assert outcomes == [True] * WORKERS, f"round {round_number}: {outcomes}"


def first_uses_at_once(ledger, round_number: int) -> list[object]:
    """Each worker (a store of its own, as in a process of its own) uses a new signature."""
    stores = [ReplayStore(ledger) for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    outcomes: list[object] = [None] * WORKERS

    def use(worker: int) -> None:
        start.wait()
        try:
            outcomes[worker] = stores[worker].first_use(f"signature-{round_number}-{worker}")
        except Exception as error:  # noqa: BLE001 - the failure this test is about
            outcomes[worker] = error

    threads = [threading.Thread(target=use, args=(worker,)) for worker in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
