"""Which lead a postback points at: by click (with or without exto), or by flow or code and exto.

The lead's id follows from what names it (`domain.identity`), so a retried or racing creation
collides in the store instead of making a second lead. A click named without exto means its only
lead; a click with several leads needs exto to say which (409 `ambiguous_lead`). A flow or code
without exto names no lead: each creation by it is a new lead, and a status cannot find one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.catalog_view import CatalogView, Flow, Offer
from domain.click import Click
from domain.errors import AmbiguousLead, MissingParameter, NotFound
from domain.identity import lead_id_for_click, lead_id_for_flow, time_ordered_id


class Clicks(Protocol):
    """Where the recorded clicks are found."""

    def click(self, click: str) -> Click | None: ...


@dataclass(frozen=True)
class Target:
    """Where a postback points: the flow (and click) it belongs to, and the lead's id."""

    flow: Flow
    offer: Offer
    click: Click | None
    exto: str | None
    lead_id: UUID


def find_target(
    params: Mapping[str, str], catalog: CatalogView, clicks: Clicks, for_creation: bool
) -> Target:
    """The click or flow the parameters name, and the id of the lead they mean."""
    click_ref = params.get("click", "").strip()
    exto = params.get("exto", "").strip() or None
    if click_ref:
        return _target_by_click(click_ref, exto, catalog, clicks)
    flow_ref = (params.get("flow", "") or params.get("code", "")).strip()
    if not flow_ref:
        raise MissingParameter("a click, or a flow or code with exto, is required")
    flow = catalog.flow(flow_ref)
    if flow is None:
        raise NotFound(f"flow {flow_ref[:40]!r} is not known", code="unknown_flow")
    offer = _offer_of(flow, catalog)
    if exto is None:
        if not for_creation:
            raise MissingParameter("exto is required to find a lead by flow or code")
        # Without a click or exto nothing names the lead: every such creation is a new lead.
        return Target(flow, offer, None, None, time_ordered_id())
    return Target(flow, offer, None, exto, lead_id_for_flow(flow.id, exto))


def _target_by_click(
    click_ref: str, exto: str | None, catalog: CatalogView, clicks: Clicks
) -> Target:
    click = clicks.click(click_ref)
    if click is None:
        raise NotFound(f"click {click_ref[:40]!r} is not known", code="unknown_click")
    flow = catalog.flow_by_id(click.flow)
    if flow is None:
        raise NotFound(f"the flow {click.flow} of this click is not known", code="unknown_flow")
    offer = _offer_of(flow, catalog)
    if exto is not None:
        return Target(flow, offer, click, exto, lead_id_for_click(click_ref, exto))
    return Target(flow, offer, click, None, _lead_of_click_alone(click, click_ref))


def _lead_of_click_alone(click: Click, click_ref: str) -> UUID:
    """A click named without exto means its only lead; several leads make it ambiguous."""
    if "" in click.leads:
        return click.leads[""]
    if len(click.leads) == 1:
        return next(iter(click.leads.values()))
    if len(click.leads) > 1:
        raise AmbiguousLead(
            f"click {click_ref[:40]!r} has {len(click.leads)} leads; send exto to name one"
        )
    return lead_id_for_click(click_ref, None)


def _offer_of(flow: Flow, catalog: CatalogView) -> Offer:
    offer = catalog.offers.get(flow.offer)
    if offer is None:  # the catalog never deletes, so this is a broken catalog, not bad input
        raise NotFound(f"offer {flow.offer!r} of flow {flow.id} is not known", code="unknown_offer")
    return offer
