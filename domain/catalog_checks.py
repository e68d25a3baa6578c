"""Every problem a catalog file shows on its own, each with its place in the file.

`FILE_CHECKS` is the list `document_problems` runs: a new section of the file adds its check
here. Checks against what the catalog already holds are in `domain.catalog_references`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from domain.access import cidr_problems
from domain.catalog_entries import (
    CatalogDocument,
    GoalEntry,
    OfferEntry,
    PersonalRateEntry,
    SiteEntry,
)
from domain.catalog_holds import hold_rule_file_problems
from domain.catalog_payable import payable_rule_file_problems
from domain.money import InvalidAmount, UnknownCurrency, parse_amount
from domain.webmaster_postbacks import postback_problems


def placed(path: str, keys: list[object]) -> list[tuple[object, str]]:
    return [(key, f"{path}[{index}]") for index, key in enumerate(keys)]


def duplicates(what: str, placed_keys: Iterable[tuple[object, str]]) -> list[str]:
    places: dict[object, list[str]] = {}
    for key, place in placed_keys:
        places.setdefault(key, []).append(place)
    return [
        f"{what} {key!r} is defined more than once: at {', '.join(at)}"
        for key, at in places.items()
        if len(at) > 1
    ]


def _network_problems(doc: CatalogDocument) -> list[str]:
    network = doc.network
    tokens = [] if network is None else network.global_tokens
    problems = [
        f"$.network.global_tokens[{index}]: a global token must be non-empty, no spaces"
        for index, token in enumerate(tokens)
        if not re.fullmatch(r"\S+", token)
    ]
    # The token itself must never appear in a message.
    if len(set(tokens)) != len(tokens):
        problems.append("$.network.global_tokens: the same token is listed twice")
    allowlists = {} if network is None else network.global_token_allowed_ips
    for index, (token, cidrs) in enumerate(allowlists.items()):
        place = f"$.network.global_token_allowed_ips[{index}]"
        if token not in tokens:
            problems.append(f"{place}: names a token that is not in global_tokens")
        problems += cidr_problems(place, cidrs)
    return problems


def _identity_problems(doc: CatalogDocument) -> list[str]:
    sites = [
        (s.id, f"$.offers[{i}].sites[{j}]")
        for i, o in enumerate(doc.offers)
        for j, s in enumerate(o.sites)
    ]
    return [
        *duplicates("advertiser id", placed("$.advertisers", [a.id for a in doc.advertisers])),
        *duplicates("webmaster id", placed("$.webmasters", [w.id for w in doc.webmasters])),
        *duplicates("offer id", placed("$.offers", [o.id for o in doc.offers])),
        *duplicates("site id", sites),
    ]


def amount_problems(path: str, amount: str, currency: str) -> list[str]:
    try:
        parse_amount(amount, currency)
    except UnknownCurrency as error:
        return [f"{path}.currency: {error}"]
    except InvalidAmount as error:
        return [f"{path}.amount: {error}"]
    return []


def _offers_problems(doc: CatalogDocument) -> list[str]:
    return [p for i, offer in enumerate(doc.offers) for p in _offer_problems(i, offer)]


def _offer_problems(index: int, offer: OfferEntry) -> list[str]:
    path = f"$.offers[{index}]"
    defaults = [goal.id for goal in offer.goals if goal.default]
    problems = _landing_problems(path, offer.landing_url)
    if len(defaults) != 1:
        problems.append(
            f"{path}.goals: offer {offer.id!r} must have exactly one default goal, "
            f"has {len(defaults)}{': ' + ', '.join(defaults) if defaults else ''}"
        )
    problems += goal_word_problems(path, offer.goals)
    for j, goal in enumerate(offer.goals):
        problems += _goal_rate_problems(f"{path}.goals[{j}]", goal)
    problems += [
        problem
        for j, site in enumerate(offer.sites)
        for problem in cidr_problems(f"{path}.sites[{j}].allowed_ips", site.allowed_ips)
    ]
    return problems + _site_key_problems(path, offer.sites)


def _goal_rate_problems(path: str, goal: GoalEntry) -> list[str]:
    """A goal states its current rate (both sides) or its schedule (`rates`), not both."""
    single = goal.webmaster is not None or goal.advertiser is not None
    if goal.rates and (single or goal.effective_from is not None):
        return [f"{path}: give either webmaster/advertiser/effective_from or rates, not both"]
    if not goal.rates and (goal.webmaster is None or goal.advertiser is None):
        return [f"{path}: goal {goal.id!r} needs webmaster and advertiser amounts (or rates)"]
    sides = [(f"{path}.webmaster", goal.webmaster), (f"{path}.advertiser", goal.advertiser)]
    for k, rate in enumerate(goal.rates):
        sides += [(f"{path}.rates[{k}].webmaster", rate.webmaster)]
        sides += [(f"{path}.rates[{k}].advertiser", rate.advertiser)]
    problems = [
        problem
        for place, price in sides
        if price is not None
        for problem in amount_problems(place, price.amount, price.currency)
    ]
    starts = placed(f"{path}.rates", [rate.effective_from.isoformat() for rate in goal.rates])
    return problems + duplicates("effective_from", starts)


def _site_key_problems(path: str, sites: list[SiteEntry]) -> list[str]:
    return [
        f"{path}.sites[{j}].key: site {site.id} needs a non-empty key without spaces "
        "(its token is <site id>-<key>)"
        for j, site in enumerate(sites)
        if not re.fullmatch(r"\S+", site.key)
    ]


def _landing_problems(path: str, url: str) -> list[str]:
    problems = []
    if "{click}" not in url:
        problems.append(f"{path}.landing_url: {url!r} has no {{click}} for the click id")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(f"{path}.landing_url: {url!r} is not an http(s) URL")
    return problems


def goal_word_problems(
    path: str, goals: Iterable[GoalEntry], claimed: dict[str, str] | None = None
) -> list[str]:
    """Goal ids and aliases that name two things: postbacks look goals up case-insensitively."""
    claimed = dict(claimed or {})
    problems = []
    for j, goal in enumerate(goals):
        words = [(goal.id, f"{path}.goals[{j}].id", f"goal id {goal.id!r}")]
        words += [
            (alias, f"{path}.goals[{j}].aliases[{k}]", f"alias {alias!r} of goal {goal.id!r}")
            for k, alias in enumerate(goal.aliases)
        ]
        for word, place, what in words:
            first = claimed.get(word.casefold())
            if first is None:
                claimed[word.casefold()] = what
            else:
                problems.append(f"{place}: {what} collides with {first} (case-insensitive)")
    return problems


def _flow_problems(doc: CatalogDocument) -> list[str]:
    flows = doc.flows
    problems = [
        *duplicates("flow id", placed("$.flows", [flow.id for flow in flows])),
        *duplicates("flow code", placed("$.flows", [flow.code for flow in flows])),
    ]
    problems += [
        f"$.flows[{index}].code: flow code {flow.code!r} is all digits and would be "
        "read as a flow id"
        for index, flow in enumerate(flows)
        if flow.code.isdigit()
    ]
    return problems


def _personal_rate_problems(doc: CatalogDocument) -> list[str]:
    rates = doc.personal_rates
    keys = [(rate.webmaster, rate.offer, rate.goal) for rate in rates]
    problems = duplicates(
        "personal rate (webmaster, offer, goal)", placed("$.personal_rates", keys)
    )
    for index, rate in enumerate(rates):
        problems += amount_problems(f"$.personal_rates[{index}]", rate.amount, rate.currency)
        problems += _period_problems(f"$.personal_rates[{index}]", rate)
    return problems


def _period_problems(place: str, rate: PersonalRateEntry) -> list[str]:
    start, end = rate.effective_from, rate.effective_until
    if start is not None and end is not None and end <= start:
        return [f"{place}.effective_until: must be after effective_from"]
    return []


FILE_CHECKS: list[Callable[[CatalogDocument], list[str]]] = [
    _network_problems,
    _identity_problems,
    _offers_problems,
    _flow_problems,
    _personal_rate_problems,
    postback_problems,
    hold_rule_file_problems,
    payable_rule_file_problems,
]
