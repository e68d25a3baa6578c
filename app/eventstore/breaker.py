"""The postback writer's circuit breaker: while PostgreSQL is down, postbacks hear 503 at once.

Without it one batch could hold the single writer thread for half a minute on a dead database:
eventsourcing retries every read and append of events up to 10 times, 0.2 s apart, and each
attempt may wait the pool's whole timeout for a connection that cannot come. Every postback queued
behind that batch waited with it; if the database came back within that time they were all
answered 200, late, and none 503. Three rules bound the writer instead:

- a batch waits at most `connection_wait` seconds for a connection, and a connection the pool
  cannot give is final for that batch: no retry;
- once a connection broke under a batch, the batch may go on trying only for `retry_window`
  seconds (one stale pooled connection is not an outage);
- a batch that failed for want of the database opens the breaker: later batches are answered 503
  without touching the database, while a probe thread opens a fresh connection every
  `probe_every` seconds. When one answers, the pool drops its dead connections at once (instead of
  after its own reconnection back-off, which grows to minutes) and the breaker closes.

The limits hold only for code inside `batch()` (the writer) or `request()` (an HTTP request: the
database gate in `app.ops.database_gate` wraps every request in it); the pool serves every other
thread, such as the projection runner's, as before. A request may wait `request_wait` seconds for a
connection, and none at all while the breaker is open: its answer is a 503 within a second.
Requests end with `DatabaseUnavailable` (an ordinary exception the app answers with 503; the
readiness probe and the metrics scrape catch it) rather than the writer's `DatabaseUnreachable`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from app.eventstore.application import DatabaseUnavailable
from projections.eventlog.store import DATABASE_DOWN_ERRORS

log = logging.getLogger(__name__)


# What a sender hears while the database is down: try again in this many seconds.
RETRY_AFTER_SECONDS = "2"


class DatabaseUnreachable(BaseException):
    """Ends a batch that got no working connection in time, as a cancellation would.

    A BaseException, like asyncio's CancelledError, so that the `except Exception` handlers
    between the pool and the writer (eventsourcing's retries, the processor's one-by-one retry of
    a failed batch) let it through instead of trying again.
    """


@dataclass
class _Attempt:
    """How one batch or request has fared with the database so far."""

    connection_wait: float
    cut_short: type[BaseException] = DatabaseUnreachable
    broken_at: float | None = None  # when a connection first broke under it
    given_up: bool = False


# A context variable rather than a thread-local: a request's handler runs in a worker thread that
# anyio starts with a copy of the request task's context, so the limits follow it there.
_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("database_attempt", default=None)


class DatabaseBreaker:
    """Bounds the writer's time on a failing database; open while the database is down."""

    def __init__(
        self,
        pool: ConnectionPool,
        conninfo: str,
        *,
        connection_wait: float = 2.0,
        request_wait: float = 0.8,
        retry_window: float = 0.5,
        probe_every: float = 0.5,
    ) -> None:
        self._pool = pool
        self._conninfo = conninfo
        self._connection_wait = connection_wait
        self._request_wait = request_wait
        self._retry_window = retry_window
        self._probe_every = probe_every
        self._lock = threading.Lock()
        self._open = False
        self._closed = threading.Event()
        self.trips = 0
        # eventsourcing builds the pool itself; these two are the one place that every read and
        # append of the writer passes through, so that is where the limits are applied.
        self._getconn, self._putconn = pool.getconn, pool.putconn
        pool.getconn = self._getconn_in_time  # type: ignore[method-assign]
        pool.putconn = self._putconn_noting_breaks  # type: ignore[method-assign]

    @property
    def is_open(self) -> bool:
        return self._open

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold the database calls this thread makes inside to the breaker's time limits."""
        token = _ATTEMPT.set(_Attempt(self._connection_wait))
        try:
            yield
        finally:
            _ATTEMPT.reset(token)

    @contextmanager
    def request(self) -> Iterator[None]:
        """Hold an HTTP request's database calls to a second; none at all while open."""
        token = _ATTEMPT.set(_Attempt(self._request_wait, DatabaseUnavailable))
        try:
            yield
        finally:
            _ATTEMPT.reset(token)

    def trip(self, reason: BaseException) -> None:
        """Open the breaker, and probe in the background until the database answers again."""
        with self._lock:
            if self._open or self._closed.is_set():
                return
            self._open = True
            self.trips += 1
        log.warning("database unreachable, requests answered 503 until it is back: %s", reason)
        threading.Thread(target=self._probe_until_back, name="database-probe", daemon=True).start()

    def close(self) -> None:
        """Stop probing (the service is shutting down)."""
        self._closed.set()

    def _probe_until_back(self) -> None:
        while not self._closed.wait(self._probe_every):
            if _database_answers(self._conninfo):
                try:
                    self._pool.check()  # replaces the dead connections now
                except Exception:  # the probe must end by closing, or postbacks stay refused
                    log.exception("checking the pooled connections failed")
                with self._lock:
                    self._open = False
                log.warning("database reachable again; serving requests")
                return

    def _getconn_in_time(self, timeout: float | None = None) -> psycopg.Connection:
        attempt = _ATTEMPT.get()
        if attempt is None:
            return self._getconn(timeout)
        wait = self._wait_allowed(attempt)
        try:
            return self._getconn(min(wait, timeout or wait))
        except PoolTimeout as error:
            attempt.given_up = True
            raise attempt.cut_short(f"no database connection within {wait:.1f} s") from error

    def _wait_allowed(self, attempt: _Attempt) -> float:
        if attempt.given_up:
            raise attempt.cut_short("the database already failed this batch")
        if self._open and attempt.cut_short is DatabaseUnavailable:
            attempt.given_up = True
            raise attempt.cut_short("the database is unreachable; retry")
        if attempt.broken_at is None:
            return attempt.connection_wait
        left = attempt.broken_at + self._retry_window - time.monotonic()
        if left <= 0:
            attempt.given_up = True
            raise attempt.cut_short("database connections kept breaking")
        return min(left, attempt.connection_wait)

    def _putconn_noting_breaks(self, connection: psycopg.Connection) -> None:
        attempt = _ATTEMPT.get()
        if attempt is not None and attempt.broken_at is None and connection.broken:
            attempt.broken_at = time.monotonic()
        self._putconn(connection)


class NoBreaker:
    """For a writer driven without one (some tests): never open, no limits."""

    is_open = False

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()

    def request(self) -> AbstractContextManager[None]:
        return nullcontext()

    def trip(self, reason: BaseException) -> None:
        pass

    def close(self) -> None:
        pass


def is_outage(error: DatabaseUnavailable) -> bool:
    """The database failed (rather than, say, a lead that kept changing under a postback)."""
    return isinstance(error.__cause__, (*DATABASE_DOWN_ERRORS, DatabaseUnreachable))


def means_database_down(error: BaseException) -> bool:
    """The error says the database is gone, not that it refused one statement.

    A statement's own failure (a lock or statement timeout, a serialization failure) leaves the
    database up; anything else of the kinds in DATABASE_DOWN_ERRORS (a connection refused, cut or
    not given in time, the server shutting down) counts as down. A wrong guess costs little: the
    breaker's probe closes it again within a second when the database answers.
    """
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, psycopg.Error):
        cause = cause.__cause__
    state = (cause.sqlstate if cause is not None else None) or ""
    return not (state in _STATEMENT_FAILURES or state.startswith("40"))


_STATEMENT_FAILURES = {"55P03", "57014"}  # lock_not_available, query_canceled


def _database_answers(conninfo: str) -> bool:
    try:
        with psycopg.connect(conninfo, connect_timeout=2, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except Exception:  # whatever stops it, the database does not answer yet
        return False
    return True
