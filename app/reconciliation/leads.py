"""Creating the lead an accepted `only_in_statement` line describes.

The lead gets the id a postback for the same click+exto or flow+exto would give it
(`domain.identity`), so a postback arriving later finds it instead of making a second lead, and
a lead created meanwhile by a postback is changed instead of created again. Only lines that
name a click, or a flow with an exto, can say which flow (and so which webmaster) the lead is
of; the flow's offer must be the reconciled advertiser's.

A line that puts a lead on `hold` starts the hold's clock at the settlement (`now`), under the
catalog's hold rule then in force, exactly as a postback would (`domain.hold_release.hold_terms`
on the event): without its terms such a hold would never end. Any other status leaves the
running hold, as a postback's does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.catalog_view import CatalogView, Flow
from domain.click import Click
from domain.hold_release import hold_terms
from domain.identity import click_aggregate_id, lead_id_for_click, lead_id_for_flow
from domain.lead import Lead
from domain.money import Money
from domain.statuses import Status


class Source(Protocol):
    def get_or_none(self, aggregate_id: UUID): ...


class Skip(Exception):
    """This line cannot be settled; the message says why, the line stays unsettled."""


def create_from_line(
    app: Source, catalog: CatalogView, run: dict, row: dict, cause: UUID, origin: dict
) -> tuple[Lead, list, list[str]]:
    """(lead, aggregates to save, changes); an existing lead is brought to the line instead.
    `run["now"]` is when the settlement is decided."""
    click, flow, lead_id = _target(app, catalog, row)
    offer = catalog.offers.get(flow.offer)
    if offer is None or offer.advertiser != run["advertiser"]:
        raise Skip(f"flow {flow.id} is not an offer of advertiser {run['advertiser']}")
    existing = app.get_or_none(lead_id)
    if existing is not None:
        changes = bring_to_line(existing, catalog, run["now"], row, cause, origin)
        return existing, [existing], changes
    goal = offer.resolve_goal(row["goal"]) if row["goal"] else offer.goals[offer.default_goal]
    if goal is None:
        raise Skip(f"goal {row['goal'][:40]!r} is not a goal of offer {offer.id}")
    status = Status(row["status"]) if row["status"] else Status.NEW
    lead = Lead(
        id=lead_id, postback_id=cause, click=row["click"], exto=row["exto"], flow=flow.id,
        offer=offer.id, advertiser=offer.advertiser, webmaster=flow.webmaster, goal=goal.id,
        status=status.value, statement_line=origin, occurred_at=row["time"],
        hold=hold_terms(catalog, offer.id, goal.id, status, run["now"]),
    )  # fmt: skip
    changes = ["created"]
    if row["amount"] is not None:
        lead.set_payout(cause, Money(row["amount"], row["currency"]), None, statement_line=origin)
        changes.append("payout")
    if click is None:
        return lead, [lead], changes
    click.attach_lead(lead.id, row["exto"])
    return lead, [lead, click], changes


def _target(app, catalog: CatalogView, row: dict) -> tuple[Click | None, Flow, UUID]:
    if row["click"]:
        click = app.get_or_none(click_aggregate_id(row["click"]))
        if not isinstance(click, Click):
            raise Skip(f"click {row['click'][:40]!r} is not known")
        flow = catalog.flow_by_id(click.flow)
        if flow is None:
            raise Skip(f"the flow {click.flow} of click {row['click'][:40]!r} is not known")
        return click, flow, lead_id_for_click(row["click"], row["exto"])
    if row["flow"] is not None and row["exto"]:
        flow = catalog.flow_by_id(row["flow"])
        if flow is None:
            raise Skip(f"flow {row['flow']} is not known")
        return None, flow, lead_id_for_flow(flow.id, row["exto"])
    raise Skip("to create a lead the line must name a click, or a flow with an exto")


def bring_to_line(
    lead: Lead,
    catalog: CatalogView,
    now: datetime,
    row: dict,
    cause: UUID,
    origin: dict,
    with_payout: bool = True,
) -> list[str]:
    """The line's payout (unless `with_payout` is false) and status, where the lead differs; a
    change to `hold` carries the terms of a hold that begins `now`."""
    changes = []
    if with_payout and row["amount"] is not None:
        money = Money(row["amount"], row["currency"])
        if lead.advertiser_payout_override != money:
            lead.set_payout(cause, money, None, statement_line=origin)
            changes.append("payout")
    status = Status(row["status"]) if row["status"] is not None else lead.status
    if status != lead.status:
        hold = hold_terms(catalog, lead.offer, lead.goal, status, now)
        lead.change_status(cause, status, row["status_word"], statement_line=origin, hold=hold)
        changes.append("status")
    return changes


def bring_goal_to_line(
    lead: Lead, catalog: CatalogView, row: dict, cause: UUID, origin: dict
) -> list[str]:
    """The line's goal (their name, through the mapping's goal map, or our id or alias)."""
    offer = catalog.offers.get(lead.offer)
    goal = offer.resolve_goal(row["goal"]) if offer and row["goal"] else None
    if goal is None:
        raise Skip(f"goal {str(row['goal'])[:40]!r} is not a goal of offer {lead.offer}")
    if goal.id == lead.goal:
        return []
    lead.change_goal(cause, goal.id, statement_line=origin)
    return ["goal"]


def cancel_for_statement(lead: Lead, cause: UUID, origin: dict) -> list[str]:
    """An only_in_ledger lead the advertiser does not pay for: cancelled, caused by the line."""
    if lead.status == Status.CANCEL:
        return []
    lead.change_status(cause, Status.CANCEL, "not in the statement", statement_line=origin)
    return ["status"]
