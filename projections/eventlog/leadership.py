"""Leading per database from a connection of one's own, and riding out the database's absences.

Each follower (the projection runner, the notifier's queue, the sender's lead, the hold follower)
leads by holding a PostgreSQL advisory lock on a connection outside the pool: the lock ends with
the connection, so a leader that dies or loses the network frees it for a standby at once, and
the same connection can LISTEN. When the database goes away, the follower waits and tries again,
the wait doubling up to `MAX_BACKOFF` seconds, so a restarted database is found within seconds
while one that stays down is not hammered. Any other error is a bug no retry mends: it is logged
and handed back, and its process ends (`app.cli.following.wait_for`) so that `serve` restarts it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from projections.eventlog.store import DATABASE_DOWN_ERRORS, ServerAddress

log = logging.getLogger(__name__)

FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0
STANDBY_SECONDS = 1.0  # how often a standby asks for the lock again


def lead_once(
    address: ServerAddress,
    lock_key: int,
    stopping: threading.Event,
    lead: Callable[[psycopg.Connection], None],
) -> None:
    """Take the lock `lock_key` on a new connection and `lead` on it until it returns (it should
    return once `stopping` is set, and raise when the connection dies); when another holds the
    lock, stand by a while and return."""
    with psycopg.connect(address.conninfo(), autocommit=True, connect_timeout=3) as connection:
        if not connection.execute("SELECT pg_try_advisory_lock(%s)", (lock_key,)).fetchone()[0]:
            stopping.wait(STANDBY_SECONDS)
            return
        lead(connection)


def retry_until_stopped(
    stopping: threading.Event,
    attempt: Callable[[], None],
    what: str,
    on_lost: Callable[[Exception], None] = lambda error: None,
) -> Exception | None:
    """Call `attempt` until `stopping` is set, again after each database error, the back-off
    doubling; `on_lost` hears each such error at once (a leader stops leading before it waits).
    Returns the error no retry can mend that ended it, if any, once logged."""
    backoff = FIRST_BACKOFF
    while not stopping.is_set():
        try:
            attempt()
            backoff = FIRST_BACKOFF
        except (*DATABASE_DOWN_ERRORS, psycopg.Error) as error:
            on_lost(error)
            log.warning("%s lost the database (%s); retrying in %.1fs", what, error, backoff)
            stopping.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
        except Exception as error:
            log.exception("%s stopped by an error it cannot retry", what)
            return error
    return None
