"""One sender per database, woken when deliveries are queued, in whichever process it runs.

The sender has a leader lock of its own (an advisory lock held on a connection of its own), so
it can run in a process apart from the follower that queues: `serve` runs them as two
processes, each with its own interpreter lock, because in one process the follower's decoding
and folding and the sender's requests took turns on one lock and one core while the HTTP
workers and PostgreSQL took the other (docs/performance.md, "Tenth push"). The same
connection LISTENs on `deliveries_queued`, which the notifier NOTIFYs in the transaction that
queues (so the wake comes when the rows are visible); the sender also looks every half second.
"""

from __future__ import annotations

import threading

import psycopg

from app.eventstore.database import DatabaseAddress
from projections.eventlog.leadership import lead_once, retry_until_stopped

SENDER_LOCK_KEY = 0x73656E64657221  # "sender!": one sender leads per database
CHANNEL = "deliveries_queued"
WAIT_SECONDS = 0.5


class SenderLead:
    """`start`, `stop`; `is_leader` while this process's sender may claim deliveries."""

    def __init__(self, address: DatabaseAddress, wake: threading.Event) -> None:
        self._address = address
        self._wake = wake
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sender-lead", daemon=True)
        self.is_leader = False
        self.failure: Exception | None = None  # what stopped the lead for good, if anything

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        # An error no retry mends used to end this thread unseen, and the sender then idled
        # behind a lead that never came back: `failure` now ends the process (NotifierService),
        # so `serve` starts it again.
        self.failure = retry_until_stopped(
            self._stopping, self._lead_while_holding_lock, "sender's lead"
        )

    def _lead_while_holding_lock(self) -> None:
        lead_once(self._address, SENDER_LOCK_KEY, self._stopping, self._lead)

    def _lead(self, lock: psycopg.Connection) -> None:
        lock.execute(f"LISTEN {CHANNEL}")
        self.is_leader = True
        self._wake.set()  # what waits already is sent at once
        try:
            while not self._stopping.is_set():
                for _ in lock.notifies(timeout=WAIT_SECONDS, stop_after=1):
                    self._wake.set()
                lock.execute("SELECT 1")  # a dead connection raises here: the lead is lost
        finally:
            self.is_leader = False


def notify_queued(cursor: psycopg.Cursor) -> None:
    """Wake the sender when this transaction commits (NOTIFYs of one transaction fold into one)."""
    cursor.execute(f"NOTIFY {CHANNEL}")
