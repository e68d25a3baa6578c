"""The hold-release follower: keeps the `holds` table from the log and releases what is due.

One leads per database (its own advisory lock; others stand by), like the notifier. While it
leads it follows the event log into `holds` (`projections.holds.tracker`, in the transaction that
advances its tracking position) and every `LEDGER_HOLD_CHECK_SECONDS` releases the holds due by
then (`app.holds.releasing`), paging by (due_at, lead id) so a pass reads each due row once, and
catches the table up after the pass. Several nodes may run one: only the leader releases, and
even two leaders (a lock lost in a network split) could not release a hold twice, because each
release is saved against the lead's version. `postback-ledger holds run` runs it; `serve`
supervises one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress, schema_lock
from app.holds.releasing import Releaser
from domain.click import Click
from domain.postback import Postback
from projections.eventlog.leadership import lead_once, retry_until_stopped
from projections.holds.tracker import HoldTracker
from projections.runner import ProjectionRunner

log = logging.getLogger(__name__)

LOCK_KEY = 0x686F6C64732121  # "holds!!": one hold-release follower leads per database
TRACKER_PAGE_SIZE = 2000
# Under load a NOTIFY comes with every commit of the postback writer. Catching up on each made
# the follower commit a page per writer commit, more transactions than the writer's own
# (docs/performance.md, "Eleventh push"); it now catches up at most once a second. A release
# pass catches the table up first anyway, so no hold waits longer for this.
TRACKING_INTERVAL_SECONDS = 1.0
NOT_HEARD = tuple(map(get_topic, (Postback.Received, Click.Recorded, Click.LeadAttached)))


def utc_now() -> datetime:
    return datetime.now(UTC)


class HoldFollower:
    """The tracker and the releaser under one leader lock; `release_due` is one pass."""

    def __init__(
        self,
        app: LedgerApplication,
        address: DatabaseAddress,
        check_seconds: float = 60.0,
        clock: Callable[[], datetime] = utc_now,
        releaser: Releaser | None = None,
    ) -> None:
        self._app = app
        self._address = address
        self._check_seconds = check_seconds
        self._clock = clock
        with schema_lock(address):
            self.runner = ProjectionRunner(
                app,
                address,
                [HoldTracker(app, app.catalog_view)],
                TRACKER_PAGE_SIZE,
                lock_key=LOCK_KEY,
                skip_topics=NOT_HEARD,
            )
        self.releaser = releaser or Releaser(app)
        self.is_leader = False
        self.failure: Exception | None = None  # what stopped the follower for good, if anything
        self.released: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def catch_up(self) -> None:
        self.runner.catch_up()

    def _follow(self) -> None:
        """The pages there are now: a backlog page by page, and under a steady stream one page,
        where `catch_up` would chase the writer's every commit."""
        while self.runner.run_once() >= TRACKER_PAGE_SIZE:
            pass

    def release_due(self) -> Counter[str]:
        """Release every hold due by the clock's now; the outcomes of this pass.

        Pages follow each other by (due_at, lead id), so a pass reads each due row once and
        the table is caught up with the releases after the pass, not between pages (a hold
        that starts meanwhile, or a row the pass passed, waits for the next pass)."""
        self.catch_up()
        now = self._clock()
        outcomes: Counter[str] = Counter()
        after = None
        while rows := self.releaser.due(now, after):
            outcomes.update(self.releaser.release_page(rows, now))
            after = (rows[-1]["due_at"], rows[-1]["lead_id"])
        self.catch_up()
        self.released.update(outcomes)
        return outcomes

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="holds", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        # No retry mends what `retry_until_stopped` hands back: the process ends and says so.
        self.failure = retry_until_stopped(
            self._stopping, self._lead_while_holding_lock, "hold follower"
        )

    def _lead_while_holding_lock(self) -> None:
        lead_once(self._address, LOCK_KEY, self._stopping, self._lead)

    def _lead(self, lock: psycopg.Connection) -> None:
        lock.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._app.events_table)))
        self.is_leader = True
        next_check = 0.0
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                if started >= next_check:
                    outcomes = self.release_due()
                    if outcomes:
                        log.info("hold releases: %s", dict(outcomes))
                    next_check = time.monotonic() + self._check_seconds
                else:
                    self._follow()
                # Until the next page may start, or sooner when a release pass is due first
                # (LEDGER_HOLD_CHECK_SECONDS under a second, as in tests).
                wake = min(started + TRACKING_INTERVAL_SECONDS, next_check)
                self._stopping.wait(max(0.0, wake - time.monotonic()))
                listen = max(0.0, min(0.5, next_check - time.monotonic()))
                for _ in lock.notifies(timeout=listen, stop_after=1):
                    pass  # every NOTIFY already received comes in this one call
                lock.execute("SELECT 1")
        finally:
            self.is_leader = False
