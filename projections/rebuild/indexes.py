"""Building a rebuild's deferred indexes on two connections at once.

Profiles of `projections rebuild all` showed the index builds after loading as a phase of their
own (about a fifth of the rebuild's time at 200,000 events), spent by a single PostgreSQL
backend while the rebuild's Python process waits. The builds do not depend on each other, so a
second connection takes every other one: two backends, two cores. Largest tables go first, so
the two finish close together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import psycopg

Connect = Callable[[], psycopg.Connection]

# Each build sorts its table's keys: with PostgreSQL's default of 64 MB the ledger's entries of
# a million events (~1.3 million rows, 250 MB) sort on disk; 256 MB per connection took the five
# entry indexes from 5.2-5.7 s to 4.4-4.6 s. Held only while a build runs.
_SORT_MEMORY = "256MB"


def build_indexes(
    connection: psycopg.Connection, connect: Connect, definitions: Sequence[str]
) -> None:
    """Run the `CREATE INDEX` definitions on `connection` and on one more from `connect()`.

    The tables are committed and only the rebuild writes them, so each build commits alone.
    An error or a Ctrl-C in the calling thread cancels the helper's build before returning; an
    error in the helper lets the caller finish the build it is in, then raises it."""
    queue = list(definitions)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def take() -> str | None:
        with lock:
            return queue.pop(0) if queue and not failures else None

    def work(on: psycopg.Connection) -> None:
        on.execute("SELECT set_config('maintenance_work_mem', %s, false)", (_SORT_MEMORY,))
        while (definition := take()) is not None:
            on.execute(definition)  # from pg_indexes: schema-qualified, safe as it is

    with connect() as other:
        other.autocommit = True
        helper = threading.Thread(target=_catching(work, other, failures), name="index-build")
        helper.start()
        try:
            work(connection)
            while helper.is_alive():  # in slices: a Ctrl-C meanwhile cancels the helper's build
                helper.join(0.2)
        except BaseException as error:
            failures.append(error)
            other.cancel_safe()
            helper.join()
            raise
    if failures:
        raise failures[0]


def _catching(work, connection: psycopg.Connection, failures: list[BaseException]):
    def run() -> None:
        try:
            work(connection)
        except BaseException as error:  # handed to the caller's thread, which raises it
            failures.append(error)

    return run
