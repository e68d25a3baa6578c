"""Reading the lead events of the store a page at a time, the next page while one is applied.

Reading and decoding a page waits mostly on the database, and so does writing one: a reader
thread that fetches page n+1 while page n is written keeps both busy.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eventsourcing.utils import get_topic
from psycopg import sql

from domain.invoice import Invoice
from domain.lead import Lead
from domain.payout import Payouts
from projections.eventlog.reading import LogReader
from projections.eventlog.store import EventStore

LEAD_TOPICS = [
    get_topic(cls)
    for cls in vars(Lead).values()
    if isinstance(cls, type) and issubclass(cls, Lead.Event)
] + [  # payouts, invoices and payments are booked in the commission ledger too
    get_topic(cls) for cls in (Payouts.Paid, Invoice.Issued, Invoice.PaymentReceived)
]

Page = list[tuple[int, Any]]
"""(position, domain event) pairs in position order."""


class LeadEventPages:
    """The lead events after a position (up to `stop`), in pages of `page_size`."""

    def __init__(self, app: EventStore, page_size: int = 5000) -> None:
        self._app = app
        self._log = LogReader(app)
        self._page_size = page_size

    def count(self) -> int:
        """How many lead events the store holds now."""
        table = sql.Identifier(self._app.recorder.datastore.schema, self._app.events_table)
        with self._app.recorder.datastore.transaction(commit=False) as cursor:
            statement = sql.SQL("SELECT count(*) AS n FROM {} WHERE topic = ANY(%s)")
            return cursor.execute(statement.format(table), (LEAD_TOPICS,)).fetchone()["n"]

    def read(self, after: int, stop: int | None = None) -> Page:
        return self._log.read(start=after, limit=self._page_size, stop=stop, topics=LEAD_TOPICS)

    def pages(self, after: int, stop: int | None = None) -> Iterator[Page]:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as reader:
            upcoming = reader.submit(self.read, after, stop)
            while page := upcoming.result():
                upcoming = reader.submit(self.read, page[-1][0], stop)
                yield page
