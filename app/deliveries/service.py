"""The notifier as a whole: the follower that queues deliveries and the sender that sends them.

`NotifierService.open` wires them on an event store; `start` runs both in threads. They share a
leader lock (the follower's): the process holding it queues and sends, others stand by. This is
what `postback-ledger notifier run` runs, and what `serve` starts in a process of its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app.deliveries.client import DeliveryClient
from app.deliveries.guard import Resolver, resolve
from app.deliveries.notifier import NOT_HEARD, Notifier
from app.deliveries.sender import Sender
from app.deliveries.settings import DeliverySettings
from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress, schema_lock
from projections.runner import ProjectionRunner

LOCK_KEY = 0x6E6F7469667921  # "notify!": one notifier leads per database
PAGE_SIZE = 500
PAGE_INTERVAL_SECONDS = 0.2  # of a notifier lag target of 2 s (projections.runner says why)


@dataclass
class NotifierService:
    """The follower, the sender and the client, started and stopped together."""

    runner: ProjectionRunner
    notifier: Notifier
    sender: Sender
    client: DeliveryClient

    @classmethod
    def open(
        cls,
        app: LedgerApplication,
        address: DatabaseAddress,
        settings: DeliverySettings,
        resolver: Resolver = resolve,
    ) -> NotifierService:
        wake = threading.Event()
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
        client = DeliveryClient(settings, resolver)
        sender = Sender(app, settings, client, lambda: runner.is_leader, wake)
        return cls(runner, notifier, sender, client)

    def start(self) -> None:
        self.runner.start()
        self.sender.start()

    def stop(self) -> None:
        self.runner.stop()
        self.sender.stop()
        self.client.close()
