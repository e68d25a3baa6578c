"""The Period aggregate: one closed accounting period of the commission ledger, sealed.

Closing a period is a fact of its own, stored in the event store like a postback: the close
event carries every account's statement (opening and closing balance per bucket, movements by
kind) and a hash over the period's entries, chained to the previous close's seal. Whatever a
read model or a rebuild later says, the figures that were closed are in the event, and
`audit verify` can tell whether the ledger still holds the entries they were drawn from.

Periods are numbered 1, 2, … and contiguous: period n starts where period n-1 ended (`until`).
Its id is derived from its number (`period_id`), so two closes racing for the same number
collide in the store's primary key instead of making two periods n: one wins, the other is told.

Which entries a period holds (`covers_through`): an entry belongs to the first period whose
close had already seen it in the ledger (its event's position at most the ledger's tracking
position at close time) and that it was booked before (`recorded_at < until`). Both bounds only
grow from close to close, so period n's entries are those inside n's bounds and outside n-1's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger/period")
GENESIS_SEAL = "0" * 64

# The movements a statement lists, in the order it lists them. Only the first four are booked
# by lead changes today; payouts, invoices, receipts and carried-forward adjustments add theirs.
KINDS = (
    "accrued", "approved", "reversed", "clawed_back", "adjusted", "settled", "paid", "invoiced",
    "received",
)  # fmt: skip


def period_id(number: int) -> UUID:
    """The aggregate id of period `number` (1 for the first period ever closed)."""
    return uuid5(_NAMESPACE, str(number))


def period_of(
    position: int, booked_at: datetime, closes: Sequence[tuple[int, int, datetime]]
) -> int | None:
    """The number of the period an entry belongs to, or None while no close includes it.

    `closes`: (number, covers_through, until) of every close, in order. The entry is in the
    first close whose bounds hold it (position at most covers_through, booked before until);
    both bounds only grow, so "held" is false up to some close and true after it: a bisection.
    Computed from the sealed bounds, never stored: a close changes no entry, and a rebuild that
    replays the same events gives every entry the same period.
    """
    low, high = 0, len(closes)
    while low < high:
        middle = (low + high) // 2
        _, through, until = closes[middle]
        if position <= through and booked_at < until:
            high = middle
        else:
            low = middle + 1
    return closes[low][0] if low < len(closes) else None


def canonical(document: object) -> str:
    """JSON with sorted keys and no spaces: the same document always gives the same bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal_of(
    previous_seal: str,
    entries_hash: str,
    number: int,
    until: datetime,
    covers_through: int,
    statements: list[dict],
) -> str:
    """The seal of a close: its statements and its entries' hash, chained to the previous seal.

    Changing any figure of any closed statement, or any entry of a closed period, or dropping a
    close from the chain, changes every seal after it.
    """
    body = canonical(
        {
            "number": number,
            "until": until.isoformat(),
            "covers_through": covers_through,
            "statements": statements,
        }
    )
    return hashlib.sha256(f"{previous_seal}\n{entries_hash}\n{body}".encode()).hexdigest()


class Period(Aggregate):
    """A closed period: created closed, never changed afterwards."""

    @classmethod
    def create_id(cls, number: int, **_: object) -> UUID:
        return period_id(number)

    class Closed(Aggregate.Created):
        """The period was closed: its statements and seal, as they were at the close."""

        number: int
        starts_at: datetime | None
        until: datetime
        covers_through: int
        statements: list
        entry_count: int
        entries_hash: str
        previous_seal: str
        seal: str
        closed_by: str

    @event(Closed)
    def __init__(
        self,
        number: int,
        starts_at: datetime | None,
        until: datetime,
        covers_through: int,
        statements: list,
        entry_count: int,
        entries_hash: str,
        previous_seal: str,
        seal: str,
        closed_by: str,
    ) -> None:
        self.number = number
        self.starts_at = starts_at
        self.until = until
        self.covers_through = covers_through
        self.statements = statements
        self.entry_count = entry_count
        self.entries_hash = entries_hash
        self.previous_seal = previous_seal
        self.seal = seal
        self.closed_by = closed_by

    @property
    def seal_holds(self) -> bool:
        """Whether the stored seal is the one its own content and predecessor give."""
        return self.seal == seal_of(
            self.previous_seal,
            self.entries_hash,
            self.number,
            self.until,
            self.covers_through,
            self.statements,
        )
