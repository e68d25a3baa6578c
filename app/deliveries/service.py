"""The notifier as a whole: the follower that queues deliveries and the sender that sends them.

`NotifierService.open` wires them on an event store; `start` runs them in threads. Each has a
leader lock of its own: one follower queues and one sender sends per database, the others stand
by. `parts` chooses what runs here: `postback-ledger notifier run` runs both by default, and
`serve` starts the two in processes of their own (`--part queue`, `--part send`).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass

from app.deliveries.client import DeliveryClient
from app.deliveries.guard import Resolver, resolve
from app.deliveries.notifier import NOT_HEARD, Notifier
from app.deliveries.sender import Sender
from app.deliveries.sender_lead import SenderLead
from app.deliveries.settings import DeliverySettings
from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress, schema_lock
from projections.runner import ProjectionRunner

LOCK_KEY = 0x6E6F7469667921  # "notify!": one notifier leads per database
PARTS = ("queue", "send")
PAGE_SIZE = 500
PAGE_INTERVAL_SECONDS = 0.2  # of a notifier lag target of 2 s (projections.runner says why)


@dataclass
class NotifierService:
    """The follower, the sender and the client, started and stopped together."""

    runner: ProjectionRunner | None
    sender: Sender | None
    client: DeliveryClient | None
    lead: SenderLead | None

    @classmethod
    def open(
        cls,
        app: LedgerApplication,
        address: DatabaseAddress,
        settings: DeliverySettings,
        resolver: Resolver = resolve,
        parts: Collection[str] = PARTS,
    ) -> NotifierService:
        wake = threading.Event()  # set by a follower in this process too: no NOTIFY round trip
        # Made for every part, started only for "queue": making it creates the tables the
        # sender reads, so a sender that starts first finds them.
        with schema_lock(address):
            notifier = Notifier(app, wake)
            runner = ProjectionRunner(
                app,
                address,
                [notifier],
                PAGE_SIZE,
                lock_key=LOCK_KEY,
                skip_topics=NOT_HEARD,
                page_interval=PAGE_INTERVAL_SECONDS,
            )
        if "send" not in parts:
            return cls(runner, None, None, None)
        client = DeliveryClient(settings, resolver)
        lead = SenderLead(address, wake)
        sender = Sender(app, settings, client, lambda: lead.is_leader, wake)
        return cls(runner if "queue" in parts else None, sender, client, lead)

    @property
    def failure(self) -> BaseException | None:
        """What stopped the follower, the sender or its lead for good (the process then ends,
        and `serve` restarts it)."""
        parts = (self.runner, self.sender, self.lead)
        failures = (part.failure for part in parts if part is not None)
        return next((failure for failure in failures if failure is not None), None)

    def start(self) -> None:
        for part in (self.runner, self.lead, self.sender):
            if part is not None:
                part.start()

    def stop(self) -> None:
        for part in (self.runner, self.sender, self.lead):
            if part is not None:
                part.stop()
        if self.client is not None:
            self.client.close()
