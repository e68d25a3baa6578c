"""The Click aggregate: a visitor sent through a webmaster's flow, and the leads reported for it.

Keeping the click's leads on the click itself (not only in a projection) lets a status postback
that names the click alone find its lead the moment the lead is created, and tell a single lead
from an ambiguous one without waiting for any read model.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.identity import click_aggregate_id


class Click(Aggregate):
    """One recorded click, with the ids of the leads created for it."""

    class Recorded(Aggregate.Created):
        click: str
        flow: int
        offer: str
        webmaster: str
        ip: str
        user_agent: str
        subs: dict[str, str]

    @event(Recorded)
    def __init__(
        self,
        click: str,
        flow: int,
        offer: str,
        webmaster: str,
        ip: str,
        user_agent: str,
        subs: dict[str, str],
    ) -> None:
        self.click = click
        self.flow = flow
        self.offer = offer
        self.webmaster = webmaster
        self.ip = ip
        self.user_agent = user_agent
        self.subs = dict(subs)
        self.leads: dict[str, UUID] = {}  # exto ("" when none) -> lead id

    @classmethod
    def create_id(cls, click: str) -> UUID:
        return click_aggregate_id(click)

    class LeadAttached(Aggregate.Event):
        lead_id: UUID
        exto: str

    @event(LeadAttached)
    def _attach_lead(self, lead_id: UUID, exto: str) -> None:
        self.leads[exto] = lead_id

    def attach_lead(self, lead_id: UUID, exto: str | None) -> None:
        if (exto or "") not in self.leads:
            self._attach_lead(lead_id=lead_id, exto=exto or "")
