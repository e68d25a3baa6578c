"""The notifier: follows the event log like a read model and queues deliveries for webmasters.

It is a projection of the runner (`projections.runner`) under its own leader lock: the rows a
page of events queues are written in the transaction that advances its tracking position, so a
crash can neither lose an event's deliveries nor queue them twice (and delivery ids are
deterministic, so queuing twice would collide anyway). It never rebuilds: a rebuild or a
recalculation replays events into the read models only, never into this position, so nothing is
sent again. Each event goes to the targets in force when it happened, so webmasters hear of what
happens from the moment their targets were configured, even when the notifier starts later
(`app.deliveries.targets`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from app.deliveries.lead_memory import LeadMemory
from app.deliveries.masking import masked_url
from app.deliveries.sender_lead import notify_queued
from app.deliveries.targets import TargetsInForce, first_position
from app.eventstore.application import LedgerApplication
from domain.catalog import CATALOG_ID
from domain.click import Click
from domain.lead_state import Pricing
from domain.postback import Postback
from domain.postback_macros import build_request, event_words, macro_values
from domain.webmaster_postbacks import Target
from projections.deliveries import queue, schema
from projections.runner import TRACKING_TABLE

NAME = "deliveries"
_DELIVERY_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger:delivery")
# What the notifier never looks at, so its runner neither reads nor decodes it: the postback
# records (about half the log, and its largest events) and the clicks (read by id when a
# delivery needs a click's subs). Lead, catalog and targets events all pass.
NOT_HEARD = tuple(map(get_topic, (Postback.Received, Click.Recorded, Click.LeadAttached)))


def delivery_id(lead: UUID, version: int, target: UUID) -> UUID:
    """Stable: the same event and target always make the same delivery (and Idempotency-Key)."""
    return uuid5(_DELIVERY_NAMESPACE, f"{lead}:{version}:{target}")


class Notifier:
    """Queues one delivery per lead event and target that wants it."""

    name = NAME

    def __init__(self, app: LedgerApplication, queued: threading.Event | None = None) -> None:
        self._app = app
        self._queued = queued or threading.Event()
        self._targets = TargetsInForce(app)
        self._pricing = Pricing(app.catalog_view())
        self._memory = LeadMemory(app)

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        schema.create_tables(cursor)
        cursor.execute(
            sql.SQL(
                "INSERT INTO {} (name, position) VALUES (%s, ({})) ON CONFLICT DO NOTHING"
            ).format(sql.Identifier(TRACKING_TABLE), first_position(self._app)),
            (NAME,),
        )

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        if any(e.originator_id == CATALOG_ID for _, e in events):
            self._pricing = Pricing(self._app.catalog_view())
        self._targets.before(cursor, events[0][0])
        heard = []  # (position, event, (name, words), the targets in force at the event)
        for position, event in events:
            self._targets.passed(event)
            words = event_words(event)
            if words is not None and self._targets.targets:
                heard.append((position, event, words, self._targets.targets))
        if not heard:
            return
        states = self._memory.states(cursor, events)
        subs = self._memory.subs(cursor, {s.click for s in states.values() if s.click})
        queued = [
            item
            for position, event, (name, words), targets in heard
            for item in self._deliveries(position, event, name, words, targets, states, subs)
        ]
        urls = {
            target.id: masked_url(target.url, target.secret, target.url_secret)
            for _, target in queued
        }
        queue.queue(cursor, [delivery for delivery, _ in queued], urls)
        if queued:
            notify_queued(cursor)  # the sender may run in another process
            self._queued.set()

    def _deliveries(self, position, event, name, words, targets, states, subs):
        state = states[(event.originator_id, event.originator_version)]
        commission = self._pricing.amounts_of(state).webmaster_commission
        for target in targets.of(state.webmaster, state.flow):
            if target.wants(words):
                yield self._delivery(position, event, name, state, commission, subs, target)

    def _delivery(self, position, event, name, state, commission, subs, target: Target):
        identity = delivery_id(state.id, event.originator_version, target.id)
        values = macro_values(
            state, commission, subs.get(state.click or "", {}), event.timestamp, identity
        )
        request = build_request(target.method, target.url, values, name)
        delivery = queue.Queued(
            id=identity,
            lead=state.id,
            webmaster=state.webmaster,
            event=name,
            position=position,
            event_at=event.timestamp,
            target=target.id,
            url=request.url,
            method=request.method,
            body=request.body,
            content_type=request.content_type,
            secret=target.secret_ref or target.secret,  # a reference, or a secret of old
            url_secret=target.url_secret,
            host=(urlsplit(request.url).hostname or "").lower(),
        )
        return delivery, target
