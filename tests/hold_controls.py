"""Tools of the hold tests: catalogs with hold rules, leads put on hold, a follower with a clock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta

from app.holds.follower import HoldFollower
from app.holds.releasing import Releaser
from tests.controls import ADMIN, DEMO_CATALOG
from tests.ledger_controls import changed, created_lead

_OFFER_1 = 'id = "offer-1"\n'
_REG = 'id = "reg"\n'


def holds_toml(offer: str = "", reg: str = "") -> str:
    """The demo catalog with extra lines in offer-1's table and in its goal reg's."""
    text = DEMO_CATALOG.decode().replace(_OFFER_1, _OFFER_1 + offer + "\n", 1)
    return text.replace(_REG, _REG + "  " + reg + "\n", 1)


def with_hold_rule(client, offer: str = "", reg: str = 'hold_for = "72h"') -> dict:
    response = client.post("/api/admin/catalog", content=holds_toml(offer, reg), headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def lead_on_hold(client, exto: str) -> str:
    lead_id, _ = created_lead(client, exto=exto)
    changed(client, exto=exto, status="hold")
    return lead_id


class Clock:
    """The follower's now, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move(self, by: timedelta) -> None:
        self.now += by


def follower(services, clock: Clock, releaser: Releaser | None = None) -> HoldFollower:
    return HoldFollower(services.ledger, services.address, clock=clock, releaser=releaser)


def hold_row(services, lead_id: str) -> dict | None:
    from projections.holds import reads

    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        return reads.of_lead(cursor, lead_id)


def lead_events(services, lead_id: str) -> list:
    from uuid import UUID

    from projections.eventlog.events import events_of

    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        history = events_of(services.ledger, cursor, [UUID(lead_id)])[UUID(lead_id)]
    return [p.event for p in history]


def releases_of(services, lead_id: str) -> list:
    return [e for e in lead_events(services, lead_id) if getattr(e, "cause", None)]


@contextlib.contextmanager
def running(f: HoldFollower) -> Iterator[HoldFollower]:
    f.start()
    try:
        yield f
    finally:
        f.stop()
