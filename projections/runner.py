"""Tailing the event store into read models, many events per transaction, exactly once.

eventsourcing's own `ProjectionRunner` commits one event per transaction (a few hundred events
per second here); ours reads pages of the notification log and applies a whole page to every
projection in one transaction together with each projection's tracking position, so a crash
can neither skip nor repeat an event, and a replay runs at tens of thousands of events a second.

Only one runner works at a time per database (a PostgreSQL advisory lock), so several server
processes can each start one: the others wait as hot standbys. The lock's connection also
LISTENs for new events; if the server drops it, the runner connects again by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import psycopg
from psycopg import sql

from projections.eventlog.leadership import lead_once, retry_until_stopped
from projections.eventlog.reading import LogReader
from projections.eventlog.store import DATABASE_DOWN_ERRORS, EventStore, ServerAddress

log = logging.getLogger(__name__)

TRACKING_TABLE = "projection_tracking"
_ADVISORY_LOCK_KEY = 0x706F73746261636B  # "postback", fixed: one runner per database


class Projection(Protocol):
    """A read model fed by the runner. `process` must only use the given cursor."""

    name: str

    def create_tables(self, cursor: psycopg.Cursor) -> None: ...

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None: ...


def create_tracking_table(cursor: psycopg.Cursor) -> None:
    cursor.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, position bigint NOT NULL)"
        ).format(sql.Identifier(TRACKING_TABLE))
    )


_POSITIONS = "SELECT name, position FROM {} WHERE name = ANY(%s)"
# Rendered once: psycopg renders a Composed again at every execute.
_READ_POSITIONS = sql.SQL(_POSITIONS).format(sql.Identifier(TRACKING_TABLE)).as_string(None)
_LOCK_POSITIONS = (
    sql.SQL(_POSITIONS + " FOR UPDATE").format(sql.Identifier(TRACKING_TABLE)).as_string(None)
)


def tracked_positions(cursor: psycopg.Cursor, names: Sequence[str]) -> dict[str, int]:
    """Each read model's processed position (0 for one that has not started); dict rows."""
    rows = cursor.execute(_READ_POSITIONS, (list(names),)).fetchall()
    found = {row["name"]: row["position"] for row in rows}
    return {name: found.get(name, 0) for name in names}


def _positions_for_update(cursor: psycopg.Cursor, expected: dict[str, int]) -> dict[str, int]:
    rows = cursor.execute(_LOCK_POSITIONS, (list(expected),)).fetchall()
    return {row["name"]: row["position"] for row in rows}


_SET_POSITIONS = (
    sql.SQL(
        "INSERT INTO {} (name, position) SELECT unnest(%s::text[]), %s "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position"
    )
    .format(sql.Identifier(TRACKING_TABLE))
    .as_string(None)
)


def set_positions(cursor: psycopg.Cursor, names: Sequence[str], position: int) -> None:
    """One statement for every projection of a page (one per projection was a round trip each)."""
    cursor.execute(_SET_POSITIONS, (list(names), position))


class ProjectionRunner:
    """Applies the event store to projections; `run_once` for one page, `start` for a thread."""

    def __init__(
        self,
        app: EventStore,
        address: ServerAddress,
        projections: Sequence[Projection],
        page_size: int = 2000,
        before_page: Callable[[Sequence[tuple[int, Any]]], None] | None = None,
        lock_key: int = _ADVISORY_LOCK_KEY,
        skip_topics: Sequence[str] = (),
        page_interval: float = 0.0,
    ) -> None:
        self._app = app
        self._log = LogReader(app)
        self._address = address
        self._projections = list(projections)
        self._page_size = page_size
        self._before_page = before_page
        self._lock_key = lock_key  # one leader per key and database
        self._skip_topics = tuple(skip_topics)  # events none of the projections looks at
        # Under a steady stream, a page starts at most this often, so pages grow with the load
        # instead of one small page per commit: a page costs a transaction and a statement per
        # table whatever its size. A page after a pause starts at once.
        self._page_interval = page_interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.is_leader = False
        self.position = 0
        self.events_processed = 0
        self.last_error: str | None = None
        self.failure: Exception | None = None  # what stopped the runner for good, if anything
        self._known_positions: dict[str, int] | None = None
        self.create_tables()

    @property
    def projection_names(self) -> list[str]:
        return [projection.name for projection in self._projections]

    def create_tables(self) -> None:
        with self._app.recorder.datastore.transaction(commit=True) as cursor:
            create_tracking_table(cursor)
            for projection in self._projections:
                projection.create_tables(cursor)
                cursor.execute(
                    sql.SQL(
                        "INSERT INTO {} (name, position) VALUES (%s, 0) ON CONFLICT DO NOTHING"
                    ).format(sql.Identifier(TRACKING_TABLE)),
                    (projection.name,),
                )

    def run_once(self) -> int:
        """Apply the next page of events; returns how many events it read (0 = caught up)."""
        positions = self._known_positions or self._read_positions()
        start = min(positions.values())
        events, rows, last = self._next_page(start)
        if last <= start:
            self.position = start
            self._known_positions = None  # idle: look again, a rebuild may have moved them
            return 0
        if self._before_page is not None and events:
            self._before_page(events)
        with self._app.recorder.datastore.transaction(commit=True) as cursor:
            if _positions_for_update(cursor, positions) != positions:
                self._known_positions = None
                return len(events)  # another runner applied this page first: nothing to do
            for projection in self._projections:
                after = positions[projection.name]
                fresh = [(i, e) for i, e in events if i > after]
                if not fresh:
                    continue
                # A projection that hashes stored rows (the audit chain) takes them as read.
                process_stored = getattr(projection, "process_stored", None)
                if process_stored is not None and rows is not None:
                    process_stored(cursor, [row for row in rows if row[0] > after], after)
                else:
                    projection.process(cursor, fresh)
            set_positions(cursor, list(positions), last)
        self._known_positions = dict.fromkeys(positions, last)
        self.position = last
        self.events_processed += len(events)
        return len(events)

    def _next_page(self, start: int) -> tuple[list[tuple[int, Any]], list | None, int]:
        """The page after `start`, its stored rows (None when topics are skipped: then they do
        not cover the page) and the position it takes the projections to.

        With topics to skip, the skipped events are neither read nor decoded (the notifier
        skips the postback records, about half the log); a page that is not full then takes the
        projections to the end of the log as it was just before the read, past what it skipped.
        """
        if not self._skip_topics:
            rows = self._log.rows(start=start, limit=self._page_size)
            events = self._log.decoder.decode(rows)
            return events, rows, events[-1][0] if events else start
        end = self._log.end()
        if end <= start:
            return [], None, start
        events = self._log.read(
            start=start, limit=self._page_size, stop=end, skip_topics=self._skip_topics
        )
        return events, None, events[-1][0] if len(events) == self._page_size else end

    def _read_positions(self) -> dict[str, int]:
        """The positions as tracked. After a page the runner knows them (they are checked under
        lock before the next page is written), which saves a transaction per page."""
        with self._app.recorder.datastore.transaction(commit=False) as cursor:
            return tracked_positions(cursor, self.projection_names)

    def catch_up(self) -> None:
        while self.run_once():
            pass

    def start(self) -> None:
        name = "projections" if self._lock_key == _ADVISORY_LOCK_KEY else "follower"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._wake_listener()
            self._thread.join(timeout)

    def _wake_listener(self) -> None:
        """A NOTIFY ends the leader's wait for events at once, so stopping takes no 0.5 s nap."""
        try:
            with self._app.recorder.datastore.transaction(commit=True) as cursor:
                cursor.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(self._app.events_table)))
        except (*DATABASE_DOWN_ERRORS, psycopg.Error):
            pass  # the database is gone: the wait ends by its timeout

    def _run(self) -> None:
        failure = retry_until_stopped(
            self._stopping, self._lead_while_holding_lock, "projection runner", self._lost
        )
        if failure is not None:
            # A page no retry can mend (a projection's bug, rows the tracking position
            # does not account for). The thread used to die unseen while its process lived
            # on, the read models frozen: it now says so and ends, and `failure` tells the
            # process to end too, so `serve` restarts it and readiness names it.
            self.last_error = str(failure)
            self.failure = failure

    def _lost(self, error: Exception) -> None:
        self.last_error = str(error)

    def _drop_dead_connections(self) -> None:
        """After a database restart every pooled connection is dead; without this check each
        would fail one page in turn (a backoff each) before the runner read events again."""
        try:
            self._app.recorder.datastore.pool.check()
        except (*DATABASE_DOWN_ERRORS, psycopg.Error) as error:
            log.debug("pooled connections not checked: %s", error)

    def _lead_while_holding_lock(self) -> None:
        lead_once(self._address, self._lock_key, self._stopping, self._lead)

    def _lead(self, lock: psycopg.Connection) -> None:
        lock.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._app.events_table)))
        # Checked when the lead is taken, so after a database restart too, with the database
        # back (the lock's new connection shows it is).
        self._drop_dead_connections()
        self.is_leader = True
        log.info("projection runner leads from position %d", self.position)
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                read = self.run_once()
                if read == 0:
                    # Wake on NOTIFY, or after a while anyway; a dead connection raises here.
                    for _ in lock.notifies(timeout=0.5, stop_after=1):
                        pass
                    lock.execute("SELECT 1")
                elif read < self._page_size and self._page_interval:
                    rest = self._page_interval - (time.monotonic() - started)
                    if rest > 0:
                        self._stopping.wait(rest)
        finally:
            self.is_leader = False


def wait_for_position(app: EventStore, name: str, position: int, timeout: float) -> bool:
    """Block until projection `name` has processed `position`; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        with app.recorder.datastore.transaction(commit=False) as cursor:
            if tracked_positions(cursor, [name])[name] >= position:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def tracked_position(connection: psycopg.Connection, name: str) -> int:
    """The position up to which the read model `name` has processed the log (0: not yet)."""
    return tracked_positions(connection.cursor(), [name])[name]
