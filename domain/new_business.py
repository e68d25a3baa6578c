"""Whether the catalog takes new business: paused offers and flows, retired goals and sites.

Switching something off (`active = false` in the catalog file) stops new leads and new goals
from reaching it, while status changes of the leads it already has go on, so money already
earned still settles. Each refusal has its own code, recorded with the postback like any other.
"""

from __future__ import annotations

from domain.catalog_entities import Flow, Goal, Offer
from domain.catalog_tokens import TokenGrant
from domain.errors import Gone, TokenRefused


def check_not_retired(grant: TokenGrant) -> None:
    if grant.retired:
        raise TokenRefused(
            f"site {grant.site_id} is retired: its token no longer sends postbacks",
            code="site_retired",
        )


def check_takes_new_leads(offer: Offer, flow: Flow, goal: Goal) -> None:
    if not offer.active:
        raise Gone(f"offer {offer.id!r} is paused: it takes no new leads", code="offer_paused")
    if not flow.active:
        raise Gone(f"flow {flow.id} is paused: it takes no new leads", code="flow_paused")
    check_goal_open(offer, goal)


def check_goal_open(offer: Offer, goal: Goal) -> None:
    if not goal.active:
        raise Gone(
            f"goal {goal.id!r} of offer {offer.id!r} is retired: no new conversions",
            code="goal_retired",
        )
