"""What a postback means: the rules of the AlterCPA postback protocol, decided on domain objects.

`decide_creation` and `decide_status_change` read the request's parameters, look up the click,
flow, lead and catalog, and either raise a `Rejection` (nothing touched) or apply the change to
the aggregates and return a `Decision`. All checks come before the first change, so a rejection
never leaves half-applied events behind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.catalog_view import CatalogView, Flow, Goal, Offer, TokenGrant
from domain.click import Click
from domain.errors import (
    AmbiguousLead,
    MissingParameter,
    NotFound,
    TokenRefused,
    Unprocessable,
)
from domain.identity import lead_id_for_click, lead_id_for_flow, time_ordered_id
from domain.lead import Lead
from domain.money import InvalidAmount, Money, UnknownCurrency, check_currency, parse_amount
from domain.new_business import check_goal_open, check_not_retired, check_takes_new_leads
from domain.postback import Outcome
from domain.statuses import Status, StatusOverrides, matches_new_lead_word, recognise

# A macro the sender's system forgot to fill in, such as "{payout}" or "{click_id}".
_UNSUBSTITUTED_MACRO = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.\-]*\}")
_TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y"})


class AggregateSource(Protocol):
    """How the rules find aggregates; a batch keeps those it loaded so later postbacks see them."""

    def click(self, click: str) -> Click | None: ...

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


@dataclass(frozen=True)
class _Target:
    """Where a postback points: the flow (and click) it belongs to, and the lead's id."""

    flow: Flow
    offer: Offer
    click: Click | None
    exto: str | None
    lead_id: UUID


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
    target = _find_target(params, catalog, source, for_creation=True)
    _check_grant(grant, target.offer)
    goal = _goal_from(params, target.offer) or target.offer.goals[target.offer.default_goal]
    existing = source.lead(target.lead_id)
    if existing is not None:
        return Decision(Outcome.DUPLICATE, existing.id)
    check_takes_new_leads(target.offer, target.flow, goal)
    payout = _payout_from(params, catalog, target, goal, now)
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
    target = _find_target(params, catalog, source, for_creation=False)
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
    payout = _payout_from(params, catalog, target, effective_goal, lead.created_at)
    if goal_changes:
        check_goal_open(target.offer, effective_goal)
        lead.change_goal(postback_id, effective_goal.id)
    if _differs_from_overrides(lead, payout):
        lead.set_payout(postback_id, *payout)
    if status != lead.status:
        lead.change_status(postback_id, status, word)
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
    target: _Target,
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
    payout = _payout_from(params, catalog, target, goal, now)
    lead = _create_lead(target, goal, initial, postback_id)
    if payout != (None, None):
        lead.set_payout(postback_id, *payout)
    return _created(lead, target, source)


def _find_target(
    params: Mapping[str, str], catalog: CatalogView, source: AggregateSource, for_creation: bool
) -> _Target:
    click_ref = params.get("click", "").strip()
    exto = params.get("exto", "").strip() or None
    if click_ref:
        return _target_by_click(click_ref, exto, catalog, source, for_creation)
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
        return _Target(flow, offer, None, None, time_ordered_id())
    return _Target(flow, offer, None, exto, lead_id_for_flow(flow.id, exto))


def _target_by_click(
    click_ref: str,
    exto: str | None,
    catalog: CatalogView,
    source: AggregateSource,
    for_creation: bool,
) -> _Target:
    click = source.click(click_ref)
    if click is None:
        raise NotFound(f"click {click_ref[:40]!r} is not known", code="unknown_click")
    flow = catalog.flow_by_id(click.flow)
    if flow is None:
        raise NotFound(f"the flow {click.flow} of this click is not known", code="unknown_flow")
    offer = _offer_of(flow, catalog)
    if exto is not None:
        return _Target(flow, offer, click, exto, lead_id_for_click(click_ref, exto))
    return _Target(flow, offer, click, None, _lead_of_click_alone(click, click_ref))


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


def _payout_from(
    params: Mapping[str, str], catalog: CatalogView, target: _Target, goal: Goal, at: datetime
) -> tuple[Money | None, Money | None]:
    """Per-lead amounts: `pay` (+`cc`) for the advertiser, `wm` for the webmaster."""
    pay = params.get("pay", "").strip()
    wm = params.get("wm", "").strip()
    if not pay and not wm:
        return None, None
    default_advertiser, default_webmaster = _rate_currencies(catalog, target, goal, at)
    advertiser = webmaster = None
    if pay:
        currency = _currency(params.get("cc", "").strip() or default_advertiser)
        advertiser = Money(_amount(pay, currency, "pay"), currency)
    if wm:
        webmaster = Money(_amount(wm, default_webmaster, "wm"), default_webmaster)
    return advertiser, webmaster


def _rate_currencies(
    catalog: CatalogView, target: _Target, goal: Goal, at: datetime
) -> tuple[str, str]:
    terms = catalog.commission_terms(target.offer.id, goal.id, target.flow.webmaster, at)
    if terms is not None:
        return terms.advertiser.currency, terms.webmaster.currency
    # No rate in force yet at that time: the goal's first rate still says its currencies.
    first = goal.rates[0]
    return first.advertiser.currency, first.webmaster.currency


def _currency(code: str) -> str:
    try:
        return check_currency(code)
    except UnknownCurrency as error:
        raise Unprocessable(str(error), code="unknown_currency") from error


def _amount(text: str, currency: str, name: str) -> Decimal:
    try:
        return parse_amount(text, currency)
    except InvalidAmount as error:
        raise Unprocessable(f"{name}: {error}", code="invalid_amount") from error


def _differs_from_overrides(lead: Lead, payout: tuple[Money | None, Money | None]) -> bool:
    advertiser, webmaster = payout
    return (advertiser is not None and advertiser != lead.advertiser_payout_override) or (
        webmaster is not None and webmaster != lead.webmaster_commission_override
    )


def _create_lead(target: _Target, goal: Goal, status: Status, postback_id: UUID) -> Lead:
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
    )


def _created(lead: Lead, target: _Target, source: AggregateSource) -> Decision:
    source.add(lead)
    changed: list[Aggregate] = [lead]
    if target.click is not None:
        target.click.attach_lead(lead.id, target.exto)
        changed.append(target.click)
    return Decision(Outcome.CREATED, lead.id, changed)
