"""Builders for the postback rules' fast tests: postbacks decided in memory, no database or HTTP.

`Rules` sends a postback's parameters straight to `domain.postback_rules`, against the demo
catalog (scripts/demo-catalog.toml, the one the HTTP tests use) and an in-memory aggregate source
that stands where the postback writer's batch source stands. It saves what an accepted postback
changed, as the writer does, and checks on every refusal that nothing changed: the rules promise
to check everything before the first change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.catalog import Catalog
from domain.catalog_document import parse_catalog
from domain.catalog_view import CatalogView
from domain.click import Click
from domain.errors import Rejection
from domain.identity import click_aggregate_id
from domain.lead import Lead
from domain.postback_rules import Decision, decide_creation, decide_status_change

DEMO_CATALOG = Path(__file__).parents[2] / "scripts" / "demo-catalog.toml"
# The demo catalog's tokens, as in tests/controls.py.
SITE_TOKEN = "7-s3cr3t"  # site 7 of offer-1
OTHER_OFFER_TOKEN = "8-l0an-key"  # site 8 of offer-2
GLOBAL_TOKEN = "demo-global-token"

CATALOG_APPLIED = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
"""When the demo catalog's rates came into force."""
NOW = CATALOG_APPLIED + timedelta(days=1)
"""When the postbacks arrive, unless a test says otherwise."""


@functools.cache
def demo_catalog() -> CatalogView:
    catalog = Catalog()
    catalog.apply_document(parse_catalog(DEMO_CATALOG.read_bytes()), CATALOG_APPLIED)
    return catalog.view()


class Aggregates:
    """The clicks and leads the rules may ask for, kept in a dict as the writer's batch keeps them.

    `save` takes the pending events of every aggregate, as the writer's one `Application.save`
    of the batch does: what the rules changed is what gets saved, whether or not they said so.
    """

    def __init__(self) -> None:
        self._by_id: dict[UUID, Aggregate] = {}
        self.saved: list[Aggregate.Event] = []

    def click(self, click: str) -> Click | None:
        return self._by_id.get(click_aggregate_id(click))

    def lead(self, lead_id: UUID) -> Lead | None:
        return self._by_id.get(lead_id)

    def add(self, aggregate: Aggregate) -> None:
        self._by_id[aggregate.id] = aggregate

    def pending(self) -> list[Aggregate.Event]:
        return [e for a in self._by_id.values() for e in a.pending_events]

    def save(self) -> list[Aggregate.Event]:
        events = [e for a in self._by_id.values() for e in a.collect_events()]
        self.saved.extend(events)
        return events


@dataclass
class Accepted:
    """An accepted postback: the rules' decision and the events saved for it."""

    decision: Decision
    postback_id: UUID
    events: list[Aggregate.Event]

    @property
    def outcome(self) -> str:
        return self.decision.outcome

    @property
    def lead_id(self) -> UUID:
        return self.decision.lead_id

    def event_types(self) -> list[str]:
        return [type(e).__qualname__ for e in self.events]


class Rules:
    """Postbacks sent to the rules, with the demo catalog's site token unless a test says so."""

    def __init__(self, catalog: CatalogView | None = None) -> None:
        self.catalog = catalog or demo_catalog()
        self.aggregates = Aggregates()
        self._clicks = 0

    def new_click(self, flow: str = "cc-traffic") -> str:
        """A click recorded through a flow, as `GET /go/{flow}` records it."""
        found = self.catalog.flow(flow)
        self._clicks += 1
        click = Click(
            click=f"click-{self._clicks}",
            flow=found.id,
            offer=found.offer,
            webmaster=found.webmaster,
            ip="203.0.113.7",
            user_agent="test",
            subs={},
        )
        self.aggregates.add(click)
        self.aggregates.save()
        return click.click

    def create(self, at: datetime = NOW, **params: str) -> Accepted:
        return self._accept(decide_creation, params, at)

    def change(self, at: datetime = NOW, **params: str) -> Accepted:
        return self._accept(decide_status_change, params, at)

    def refuse_creation(self, **params: str) -> Rejection:
        return self._refuse(decide_creation, params)

    def refuse_change(self, **params: str) -> Rejection:
        return self._refuse(decide_status_change, params)

    def lead(self, lead_id: UUID) -> Lead:
        found = self.aggregates.lead(lead_id)
        assert found is not None, lead_id
        return found

    def events_of(self, lead_id: UUID) -> list[str]:
        """The type names of a lead's saved events, oldest first."""
        return [type(e).__name__ for e in self.aggregates.saved if e.originator_id == lead_id]

    def _accept(self, decide, params: dict[str, str], at: datetime) -> Accepted:
        postback_id = uuid4()
        decision = decide(with_token(params), self.catalog, self.aggregates, postback_id, at)
        return Accepted(decision, postback_id, self.aggregates.save())

    def _refuse(self, decide, params: dict[str, str]) -> Rejection:
        saved = list(self.aggregates.saved)
        with pytest.raises(Rejection) as refusal:
            decide(with_token(params), self.catalog, self.aggregates, uuid4(), NOW)
        assert self.aggregates.pending() == [], "a refused postback changed an aggregate"
        assert self.aggregates.saved == saved
        return refusal.value


def a_lead(rules: Rules, **params: str) -> tuple[str, UUID]:
    """A new lead of a fresh click: (click, lead id)."""
    click = rules.new_click()
    return click, rules.create(click=click, **params).lead_id


def with_token(params: dict[str, str]) -> dict[str, str]:
    """The parameters with the site token unless they name their own; None leaves one out."""
    merged = {"token": SITE_TOKEN, **params}
    return {name: value for name, value in merged.items() if value is not None}


def refusal(rejection: Rejection) -> tuple[int, str]:
    """What the sender is told of a refusal: the HTTP status and the error code."""
    return rejection.http_status, rejection.code
