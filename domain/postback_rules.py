"""What a postback means: the rules of the AlterCPA postback protocol, decided on domain objects.

`decide_creation` and `decide_status_change` read the request's parameters, look up the click,
flow, lead and catalog, and either raise a `Rejection` (nothing touched) or apply the change to
the aggregates and return a `Decision`. All checks come before the first change, so a rejection
never leaves half-applied events behind. Which lead a postback means is `domain.lead_matching`;
the amounts it sends, `domain.payouts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.catalog_view import CatalogView, Goal, Offer, TokenGrant
from domain.errors import MissingParameter, NotFound, TokenRefused, Unprocessable
from domain.hold_release import hold_terms
from domain.lead import Lead
from domain.lead_matching import Clicks, Target, find_target
from domain.new_business import check_goal_open, check_not_retired, check_takes_new_leads
from domain.payouts import differs_from_overrides, payout_from
from domain.postback import Outcome
from domain.statuses import Status, StatusOverrides, matches_new_lead_word, recognise

# A macro the sender's system forgot to fill in, such as "{payout}" or "{click_id}".
_UNSUBSTITUTED_MACRO = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.\-]*\}")
_TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y"})


class AggregateSource(Clicks, Protocol):
    """How the rules find aggregates; a batch keeps those it loaded so later postbacks see them."""

    def lead(self, lead_id: UUID) -> Lead | None: ...

    def add(self, aggregate: Aggregate) -> None: ...


@dataclass
class Decision:
    """The accepted outcome of one postback and the aggregates it changed."""

    outcome: str
    lead_id: UUID
    changed: list[Aggregate] = field(default_factory=list)

    @property
    def ignored(self) -> bool:
        return self.outcome == Outcome.IGNORED


def check_no_unsubstituted_macros(params: Mapping[str, str]) -> None:
    for name, value in params.items():
        match = _UNSUBSTITUTED_MACRO.search(value)
        if match:
            raise Unprocessable(
                f"parameter {name!r} holds the literal macro {match.group(0)}: "
                "the sender's system did not substitute it",
                code="unsubstituted_macro",
            )


def authorise(params: Mapping[str, str], catalog: CatalogView) -> TokenGrant:
    token = params.get("token", "").strip()
    if not token:
        raise TokenRefused("the token parameter is required", code="missing_token")
    grant = catalog.authorise(token)
    if grant is None:
        raise TokenRefused("the token is not a site token or a global token of this network")
    check_not_retired(grant)
    return grant


def decide_creation(
    params: Mapping[str, str],
    catalog: CatalogView,
    source: AggregateSource,
    postback_id: UUID,
    now: datetime,
) -> Decision:
    """A lead creation postback (click.json): one lead per click+exto or flow+exto."""
    check_no_unsubstituted_macros(params)
    grant = authorise(params, catalog)
    target = find_target(params, catalog, source, for_creation=True)
    _check_grant(grant, target.offer)
    goal = _goal_from(params, target.offer) or target.offer.goals[target.offer.default_goal]
    existing = source.lead(target.lead_id)
    if existing is not None:
        return Decision(Outcome.DUPLICATE, existing.id)
    check_takes_new_leads(target.offer, target.flow, goal)
    payout = payout_from(params, catalog, target, goal, now)
    lead = _create_lead(target, goal, Status.NEW, postback_id)
    if payout != (None, None):
        lead.set_payout(postback_id, *payout)
    return _created(lead, target, source)


def decide_status_change(
    params: Mapping[str, str],
    catalog: CatalogView,
    source: AggregateSource,
    postback_id: UUID,
    now: datetime,
) -> Decision:
    """A status postback (status.json); with `auto=1` or an `stn` word it may create the lead.

    `status` may be left out when the postback only changes the goal or the amounts.
    """
    check_no_unsubstituted_macros(params)
    grant = authorise(params, catalog)
    word = params.get("status", "").strip()
    if not word and not any(params.get(name, "").strip() for name in ("goal", "pay", "wm")):
        raise MissingParameter("send a status (or a goal, pay or wm to change)")
    status = _status_from(word, params) if word else None
    target = find_target(params, catalog, source, for_creation=False)
    _check_grant(grant, target.offer)
    goal = _goal_from(params, target.offer)
    lead = source.lead(target.lead_id)
    if lead is None:
        if status is None:
            raise NotFound("no lead matches this postback", code="lead_not_found")
        return _create_on_status(
            params, catalog, source, target, goal, status, word, postback_id, now
        )
    status = status or lead.status
    if lead.status.is_final and not status.is_final:
        return Decision(Outcome.IGNORED, lead.id)
    version_before = lead.version
    goal_changes = goal is not None and goal.id != lead.goal
    effective_goal = goal or target.offer.goals[lead.goal]
    payout = payout_from(params, catalog, target, effective_goal, lead.created_at)
    if goal_changes:
        check_goal_open(target.offer, effective_goal)
        lead.change_goal(postback_id, effective_goal.id)
    if differs_from_overrides(lead, payout):
        lead.set_payout(postback_id, *payout)
    if status != lead.status:
        hold = hold_terms(catalog, lead.offer, lead.goal, status, now)
        lead.change_status(postback_id, status, word, hold=hold)
    if lead.version == version_before:
        return Decision(Outcome.UNCHANGED, lead.id)
    return Decision(Outcome.CHANGED, lead.id, [lead])


def _status_from(word: str, params: Mapping[str, str]) -> Status:
    status = recognise(word, StatusOverrides.from_params(params))
    if status is None:
        raise Unprocessable(
            f"status {word[:40]!r} is not recognised; send sta/stc/stt/sth/stw/stn to map it",
            code="unknown_status",
        )
    return status


def _create_on_status(
    params: Mapping[str, str],
    catalog: CatalogView,
    source: AggregateSource,
    target: Target,
    goal: Goal | None,
    status: Status,
    word: str,
    postback_id: UUID,
    now: datetime,
) -> Decision:
    overrides = StatusOverrides.from_params(params)
    if matches_new_lead_word(word, overrides):
        initial = Status.NEW
    elif params.get("auto", "").strip().casefold() in _TRUE_WORDS:
        initial = status
    else:
        raise NotFound(
            "no lead matches this postback; send auto=1 or an stn word to create it",
            code="lead_not_found",
        )
    goal = goal or target.offer.goals[target.offer.default_goal]
    check_takes_new_leads(target.offer, target.flow, goal)
    payout = payout_from(params, catalog, target, goal, now)
    hold = hold_terms(catalog, target.offer.id, goal.id, initial, now)
    lead = _create_lead(target, goal, initial, postback_id, hold)
    if payout != (None, None):
        lead.set_payout(postback_id, *payout)
    return _created(lead, target, source)


def _check_grant(grant: TokenGrant, offer: Offer) -> None:
    if not grant.allows(offer.id):
        raise TokenRefused(
            f"the site token is not a token of offer {offer.id!r}", code="token_not_for_offer"
        )


def _goal_from(params: Mapping[str, str], offer: Offer) -> Goal | None:
    word = params.get("goal", "").strip()
    if not word:
        return None
    goal = offer.resolve_goal(word)
    if goal is None:
        raise Unprocessable(
            f"goal {word[:40]!r} is not a goal or alias of offer {offer.id!r}", code="unknown_goal"
        )
    return goal


def _create_lead(
    target: Target, goal: Goal, status: Status, postback_id: UUID, hold: dict | None = None
) -> Lead:
    return Lead(
        id=target.lead_id,
        postback_id=postback_id,
        click=target.click.click if target.click else None,
        exto=target.exto,
        flow=target.flow.id,
        offer=target.offer.id,
        advertiser=target.offer.advertiser,
        webmaster=target.flow.webmaster,
        goal=goal.id,
        status=status.value,
        hold=hold,
    )


def _created(lead: Lead, target: Target, source: AggregateSource) -> Decision:
    source.add(lead)
    changed: list[Aggregate] = [lead]
    if target.click is not None:
        target.click.attach_lead(lead.id, target.exto)
        changed.append(target.click)
    return Decision(Outcome.CREATED, lead.id, changed)
