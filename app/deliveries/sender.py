"""The sender: takes due deliveries from the queue, sends them, records every attempt.

One thread claims and records (the database work, a transaction per batch); the client's event
loop thread does the HTTP requests, at most `per_host` at once to one host so one slow tracker
cannot take every connection. It works only while its notifier leads (one sender per database):
when it takes the lead it first releases what a dead leader had claimed, which is then sent
again under the same delivery id. Attempts not yet recorded when the database goes away are
kept and recorded when it is back.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg

from app.deliveries import retry
from app.deliveries.client import Answer, DeliveryClient
from app.deliveries.masking import masked_url
from app.deliveries.settings import DeliverySettings
from app.deliveries.targets import CurrentSecrets
from app.eventstore.application import LedgerApplication
from projections.deliveries import queue as delivery_queue
from projections.eventlog.leadership import retry_until_stopped
from projections.eventlog.store import DATABASE_DOWN_ERRORS

log = logging.getLogger(__name__)
IDLE_SECONDS = 0.5
# Recording each answer in a transaction of its own capped a loaded machine at ~50 deliveries/s
# (bench --deliveries): a few milliseconds' wait lets the answers in flight share one.
COALESCE_SECONDS = 0.01


BROKEN = Answer(None, "internal error while sending", "", 0.0)  # recorded for a retry
RESEND_HEADER = "X-Postback-Resend"
SUPERSEDED_HEADER = "X-Postback-Superseded"


def resend_headers(row: dict) -> tuple[tuple[str, str], ...]:
    """A delivery an operator resent says so; one whose lead already reached this target with a
    later event says that too, so a tracker keeping the last status it hears can skip it."""
    if row.get("resent_at") is None:
        return ()
    if row.get("superseded"):
        return ((RESEND_HEADER, "1"), (SUPERSEDED_HEADER, "1"))
    return ((RESEND_HEADER, "1"),)


def _started(row: dict) -> tuple:
    """What is recorded of an attempt before it is sent (`queue.started`)."""
    shown = masked_url(row["url"], row["secret"], row["url_secret"])
    return (row["id"], row["target"], row["attempts"], shown, row["method"])


class Sender:
    """Runs in a thread of the notifier's process; `start`, `stop`."""

    def __init__(
        self,
        app: LedgerApplication,
        settings: DeliverySettings,
        client: DeliveryClient,
        leads: Callable[[], bool],
        wake: threading.Event,
    ) -> None:
        self._app, self._settings, self._client = app, settings, client
        self._leads = leads
        self._wake = wake
        self._done: queue.SimpleQueue[delivery_queue.Attempt] = queue.SimpleQueue()
        self._unrecorded: list[delivery_queue.Attempt] = []
        self._busy: Counter[str] = Counter()
        self._waiting: list[dict] = []  # claimed, waiting for a free slot of their host
        self._mine: set = set()  # claimed by this sender, their attempt not yet recorded
        self._suspended: frozenset = frozenset()  # URLs suspended, as of the last dispatch
        self._secrets = CurrentSecrets(app)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sender", daemon=True)
        self._leading = False
        self.coalesce = COALESCE_SECONDS
        self.sent = 0
        self.failure: Exception | None = None  # what stopped the sender for good, if anything

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)
        self._client.wait_started(self._settings.total_timeout)  # each ends by its deadline
        try:
            self._record()
        except (*DATABASE_DOWN_ERRORS, psycopg.Error) as error:  # the next leader resends them
            log.warning("attempts of %d deliveries not recorded: %s", len(self._mine), error)

    def _run(self) -> None:
        # As with its lead: a sender stopped by a bug must end its process, not idle in it.
        self.failure = retry_until_stopped(self._stopping, self._step, "sender", self._lost)

    def _lost(self, error: Exception) -> None:
        # A claim may have committed unseen: take the lead again, releasing such rows.
        self._leading = False

    def _step(self) -> None:
        self._record()  # answers already received are recorded, leading or not
        if not self._leads():
            self._leading = False
            self._stopping.wait(IDLE_SECONDS)
            return
        if not self._leading:
            with self._app.recorder.datastore.transaction(commit=True) as cursor:
                released = delivery_queue.release_in_flight(cursor, self._mine)
            log.info("sender leads; %d deliveries claimed by a sender gone are due", released)
            self._leading = True
        self._dispatch()
        if self._wake.wait(IDLE_SECONDS) and self._busy.total():
            self._stopping.wait(self.coalesce)  # answers arriving together: one transaction
        self._wake.clear()

    @contextmanager
    def _bookkeeping(self) -> Iterator[psycopg.Cursor]:
        """A transaction of the sender's in pipeline mode: statements whose results it does not
        read at once go out together with the next that it reads. The sender's thread waits for
        the GIL and a core after every round trip, and an iteration of a dozen round trips, not
        PostgreSQL, bounded its rate under load (docs/performance.md, "Eighth push")."""
        datastore = self._app.recorder.datastore
        with (
            datastore.get_connection() as connection,
            connection.pipeline(),
            connection.transaction(),
        ):
            yield connection.cursor()

    def _record(self) -> None:
        while not self._done.empty():
            self._unrecorded.append(self._done.get())
        if not self._unrecorded:
            return
        with self._bookkeeping() as cursor:
            suspended = delivery_queue.record(
                cursor, self._unrecorded, self._settings.suspend_after
            )
        for target in suspended:
            url = next(a.url for a in self._unrecorded if a.target == target)
            log.warning(
                "delivery URL %s suspended after %d failed attempts in a row (target %s);"
                " its deliveries wait until an operator resumes it",
                url, self._settings.suspend_after, target,
            )  # fmt: skip
        for attempt in self._unrecorded:
            self._busy[attempt.host] -= 1
            self._mine.discard(attempt.delivery)
        self.sent += len(self._unrecorded)
        self._unrecorded = []

    def _dispatch(self) -> None:
        free = self._settings.concurrency - sum(self._busy.values()) - len(self._waiting)
        with self._bookkeeping() as cursor:
            self._suspended = delivery_queue.suspended_targets(cursor)
            self._secrets.refresh(cursor)
            if free > 0 and not self._stopping.is_set():
                full = [h for h, n in self._busy.items() if n >= self._settings.per_host]
                claimed = delivery_queue.claim(cursor, free, full)
                delivery_queue.started(cursor, [_started(row) for row in claimed])
                self._mine.update(row["id"] for row in claimed)
                self._waiting += claimed
        still, sending = [], []
        for row in self._waiting:
            if row["target"] in self._suspended:  # suspended since it was claimed: not sent
                self._busy[row["host"]] += 1
                self._done.put(self._withheld(row))
            elif self._busy[row["host"]] < self._settings.per_host:
                self._busy[row["host"]] += 1
                sending.append(self._send(row))
            else:
                still.append(row)
        self._waiting = still
        if sending:
            self._client.start(sending)

    def _withheld(self, row: dict) -> delivery_queue.Attempt:
        now = datetime.now(UTC)
        return delivery_queue.Attempt(
            row["id"], row["target"], row["attempts"], now, "", row["method"], None, None, "",
            0.0, delivery_queue.WITHHELD, None, row["host"],
        )  # fmt: skip

    async def _send(self, row: dict) -> None:
        """Send `row` on the client's loop; its attempt comes back through `_done`."""
        if row["target"] in self._suspended:  # suspended while it waited for the loop
            self._done.put(self._withheld(row))
            self._wake.set()
            return
        at = datetime.now(UTC)
        try:
            answer = await self._client.send(*self._request(row))
        except Exception:  # a bug must not lose the delivery: it is recorded for a retry
            log.exception("delivery %s failed unexpectedly", row["id"])
            answer = BROKEN
        self._done.put(self._attempt(row, at, answer))
        self._wake.set()

    def _request(self, row: dict) -> tuple:
        return (
            row["method"], row["url"], bytes(row["body"]), row["content_type"], str(row["id"]),
            self._secrets.of(row["target"], row["secret"]), resend_headers(row),
        )  # fmt: skip

    def _attempt(self, row: dict, at: datetime, answer: Answer) -> delivery_queue.Attempt:
        ended = datetime.now(UTC)  # a retry waits from the end of this attempt, not its start
        allowance = row["attempts"] - row["retry_from"]
        attempt = delivery_queue.Attempt(
            delivery=row["id"],
            target=row["target"],
            attempt=row["attempts"],
            at=at,
            url=masked_url(row["url"], row["secret"], row["url_secret"]),
            method=row["method"],
            http_status=answer.http_status,
            error=answer.error,
            response=answer.response,
            duration_ms=answer.duration_ms,
            outcome=retry.outcome(answer, allowance, self._settings),
            next_attempt_at=retry.next_attempt_at(answer, allowance, self._settings, ended),
            host=row["host"],
        )
        return attempt
