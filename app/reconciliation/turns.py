"""One reconciliation job at a time per advertiser; different advertisers side by side.

An upload or an accept takes its advertiser's turn: a transaction-level advisory lock keyed by
the advertiser (`pg_try_advisory_xact_lock`), so it ends with the transaction, whatever way
that ends, and needs no table. The holder labels its session (`application_name`, also
transaction-local) with what it does and which reconciliation; a second job of the same
advertiser does not wait behind it but is refused at once with that label, read from
`pg_locks` and `pg_stat_activity`: `Busy` carries the running job's kind, reconciliation id and
start, and the route answers 409 with them and a Retry-After. A client would rather hear that
now than hang for the minutes a million-line upload takes (and time out on its own proxy).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import psycopg

_KIND = 0x7475726E  # "turn": the advisory lock's first key; the second is the advertiser's hash
_LABEL = "reconciliation"


class Busy(Exception):
    """The advertiser's turn is taken: by what (`upload`/`accept`), which run, since when."""

    def __init__(self, advertiser: str, kind: str, run_id: str | None, since: datetime | None):
        what = f"an {kind}" + (f" of reconciliation {run_id}" if run_id else "")
        super().__init__(f"{what} for advertiser {advertiser!r} is running"
                         + (f" since {since.isoformat()}" if since else "")
                         + "; try again when it is done")  # fmt: skip
        self.advertiser, self.kind, self.run_id, self.since = advertiser, kind, run_id, since


def take(cursor: psycopg.Cursor, advertiser: str, kind: str, run_id: UUID) -> None:
    """Take the advertiser's turn for this transaction, or raise Busy naming who has it."""
    row = cursor.execute(
        "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s)) AS taken", (_KIND, advertiser)
    ).fetchone()
    if not row["taken"]:
        raise _holder(cursor, advertiser)
    label = f"{_LABEL} {kind} {run_id}"
    cursor.execute("SELECT set_config('application_name', %s, true)", (label,))
    # Between its statements the job works in Python (reading, matching a chunk of lines, or
    # deciding a chunk of settlements): on a loaded machine that may outlast the pool's 5 s
    # idle-in-transaction limit, which is there for abandoned transactions, not this one.
    cursor.execute("SET LOCAL idle_in_transaction_session_timeout = '60s'")


def _holder(cursor: psycopg.Cursor, advertiser: str) -> Busy:
    row = cursor.execute(
        """SELECT a.application_name AS label, a.xact_start AS since
        FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s
          AND l.objid = hashtext(%s)::oid AND l.objsubid = 2""",
        (_KIND, advertiser),
    ).fetchone()
    parts = (row["label"] if row else "").split()
    if len(parts) == 3 and parts[0] == _LABEL:
        return Busy(advertiser, parts[1], parts[2], row["since"])
    return Busy(advertiser, "upload or accept", None, row["since"] if row else None)
