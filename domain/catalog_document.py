"""The catalog file: its TOML schema, and the checks it must pass before it touches the catalog.

`parse_catalog` turns the operator's TOML into a `CatalogDocument`, or raises a `CatalogError`
listing every problem it finds, each with its place (`$.offers[0].goals[1].aliases[0]`).
Whether the ids the file refers to exist is known only with the catalog at hand:
`reference_problems` checks that, when the `Catalog` aggregate applies the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from domain.access import cidr_problems
from domain.catalog_view import MAX_ID_DIGITS, CatalogView
from domain.money import InvalidAmount, Money, UnknownCurrency, parse_amount
from domain.webmaster_postbacks import PostbackEntry, postback_problems

Id = Annotated[str, msgspec.Meta(min_length=1, pattern=r"\A\S+\Z")]
Name = Annotated[str, msgspec.Meta(min_length=1)]
# Site and flow ids travel as digits in tokens and postbacks; they must parse back.
NumericId = Annotated[int, msgspec.Meta(ge=1, lt=10**MAX_ID_DIGITS)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class CatalogError(ValueError):
    """A catalog file that cannot be applied; `problems` lists every problem found."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(dict.fromkeys(problems))
        if len(self.problems) == 1:
            message = f"invalid catalog: {self.problems[0]}"
        else:
            listed = "\n".join(f"- {problem}" for problem in self.problems)
            message = f"invalid catalog, {len(self.problems)} problems:\n{listed}"
        super().__init__(message)


class _Entry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A table of the file. An unknown key is a typo to report, never something to skip."""


class AmountEntry(_Entry):
    """One side of a goal's rate, e.g. `{ amount = "10.00", currency = "USD" }`."""

    amount: str
    currency: str

    def money(self) -> Money:
        return Money(parse_amount(self.amount, self.currency), self.currency)


class GoalEntry(_Entry):
    """A goal of an offer with its current rate; a changed rate becomes a new version."""

    id: Id
    webmaster: AmountEntry
    advertiser: AmountEntry
    aliases: list[Id] = []
    default: bool = False
    effective_from: AwareDatetime | None = None


class SiteEntry(_Entry):
    """A site sending postbacks for the offer; its token on the wire is `<id>-<key>`."""

    id: NumericId
    key: str
    # Access rules; the site's entry states them in full: absent means no restriction.
    allowed_ips: list[str] = []
    require_signature: bool = False


class OfferEntry(_Entry):
    """An offer with its goals (exactly one of them the default) and its sites."""

    id: Id
    name: Name
    advertiser: Id
    landing_url: str
    goals: list[GoalEntry] = []
    sites: list[SiteEntry] = []


class AdvertiserEntry(_Entry):
    """An advertiser, named by the offers it pays for."""

    id: Id
    name: Name


class WebmasterEntry(_Entry):
    """A webmaster, named by flows and personal rates."""

    id: Id
    name: Name
    postbacks: list[PostbackEntry] = []


class FlowEntry(_Entry):
    """A webmaster's flow into an offer; postbacks name it by id or by its code."""

    id: NumericId
    code: Id
    offer: Id
    webmaster: Id
    postbacks: list[PostbackEntry] = []


class PersonalRateEntry(_Entry):
    """A webmaster's own payout for one goal of an offer; the advertiser side stays."""

    webmaster: Id
    offer: Id
    goal: Id
    amount: str
    currency: str
    effective_from: AwareDatetime | None = None

    def money(self) -> Money:
        return Money(parse_amount(self.amount, self.currency), self.currency)


class NetworkEntry(_Entry):
    """Network-wide settings: the global tokens, which replace the held ones when given."""

    global_tokens: list[str] = []
    # token -> CIDRs it may be used from; a token missing here may be used from anywhere.
    global_token_allowed_ips: dict[str, list[str]] = {}


class CatalogDocument(_Entry):
    """The whole file. `network` absent leaves the global tokens as they are."""

    network: NetworkEntry | None = None
    advertisers: list[AdvertiserEntry] = []
    webmasters: list[WebmasterEntry] = []
    offers: list[OfferEntry] = []
    flows: list[FlowEntry] = []
    personal_rates: list[PersonalRateEntry] = []


def parse_catalog(data: bytes | str) -> CatalogDocument:
    doc = _decode(data)
    problems = document_problems(doc)
    if problems:
        raise CatalogError(problems)
    return doc


_MONEY_AS_NUMBER = re.compile(r"got `(float|int)` - at `\$[^`]*\.amount`")


def _decode(data: bytes | str) -> CatalogDocument:
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        return msgspec.toml.decode(text, type=CatalogDocument)
    except UnicodeDecodeError as error:
        raise CatalogError([f"not UTF-8 text: {error.reason} at byte {error.start}"]) from None
    except msgspec.ValidationError as error:
        message = str(error)
        if _MONEY_AS_NUMBER.search(message):
            message += '; write amounts as quoted text such as "10.00": money is never a float'
        raise CatalogError([message]) from None
    except msgspec.DecodeError as error:
        raise CatalogError([f"invalid TOML: {error}"]) from None
    except RecursionError:
        raise CatalogError(["invalid TOML: nested too deeply"]) from None


def document_problems(doc: CatalogDocument) -> list[str]:
    """Every problem visible in the file alone."""
    sites = [
        (s.id, f"$.offers[{i}].sites[{j}]")
        for i, o in enumerate(doc.offers)
        for j, s in enumerate(o.sites)
    ]
    return [
        *_network_problems(doc.network),
        *_duplicates("advertiser id", _placed("$.advertisers", [a.id for a in doc.advertisers])),
        *_duplicates("webmaster id", _placed("$.webmasters", [w.id for w in doc.webmasters])),
        *_duplicates("offer id", _placed("$.offers", [o.id for o in doc.offers])),
        *_duplicates("site id", sites),
        *(p for i, offer in enumerate(doc.offers) for p in _offer_problems(i, offer)),
        *_flow_problems(doc.flows),
        *_personal_rate_problems(doc.personal_rates),
        *postback_problems(doc),
    ]


def _placed(path: str, keys: list[object]) -> list[tuple[object, str]]:
    return [(key, f"{path}[{index}]") for index, key in enumerate(keys)]


def _duplicates(what: str, placed_keys: Iterable[tuple[object, str]]) -> list[str]:
    places: dict[object, list[str]] = {}
    for key, place in placed_keys:
        places.setdefault(key, []).append(place)
    return [
        f"{what} {key!r} is defined more than once: at {', '.join(at)}"
        for key, at in places.items()
        if len(at) > 1
    ]


def _network_problems(network: NetworkEntry | None) -> list[str]:
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


def _amount_problems(path: str, amount: str, currency: str) -> list[str]:
    try:
        parse_amount(amount, currency)
    except UnknownCurrency as error:
        return [f"{path}.currency: {error}"]
    except InvalidAmount as error:
        return [f"{path}.amount: {error}"]
    return []


def _offer_problems(index: int, offer: OfferEntry) -> list[str]:
    path = f"$.offers[{index}]"
    defaults = [goal.id for goal in offer.goals if goal.default]
    problems = _landing_problems(path, offer.landing_url)
    if len(defaults) != 1:
        problems.append(
            f"{path}.goals: offer {offer.id!r} must have exactly one default goal, "
            f"has {len(defaults)}{': ' + ', '.join(defaults) if defaults else ''}"
        )
    problems += _goal_word_problems(path, offer.goals)
    for j, goal in enumerate(offer.goals):
        for side, price in (("webmaster", goal.webmaster), ("advertiser", goal.advertiser)):
            problems += _amount_problems(f"{path}.goals[{j}].{side}", price.amount, price.currency)
    problems += [
        problem
        for j, site in enumerate(offer.sites)
        for problem in cidr_problems(f"{path}.sites[{j}].allowed_ips", site.allowed_ips)
    ]
    return problems + _site_key_problems(path, offer.sites)


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


def _goal_word_problems(
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


def _flow_problems(flows: list[FlowEntry]) -> list[str]:
    problems = [
        *_duplicates("flow id", _placed("$.flows", [flow.id for flow in flows])),
        *_duplicates("flow code", _placed("$.flows", [flow.code for flow in flows])),
    ]
    problems += [
        f"$.flows[{index}].code: flow code {flow.code!r} is all digits and would be "
        "read as a flow id"
        for index, flow in enumerate(flows)
        if flow.code.isdigit()
    ]
    return problems


def _personal_rate_problems(rates: list[PersonalRateEntry]) -> list[str]:
    keys = [(rate.webmaster, rate.offer, rate.goal) for rate in rates]
    problems = _duplicates(
        "personal rate (webmaster, offer, goal)", _placed("$.personal_rates", keys)
    )
    for index, rate in enumerate(rates):
        problems += _amount_problems(f"$.personal_rates[{index}]", rate.amount, rate.currency)
    return problems


def reference_problems(doc: CatalogDocument, held: CatalogView) -> list[str]:
    """What the file refers to that is neither in the file nor in the catalog, and clashes
    between the file and what the catalog keeps."""
    return [
        *_unknown_references(doc, held),
        *_kept_goal_clashes(doc, held),
        *_kept_flow_code_clashes(doc, held),
    ]


def _unknown(place: str, kind: str, ref: object, known: Iterable[object]) -> list[str]:
    if ref in known:
        return []
    return [f"{place}: unknown {kind} {ref!r}: neither in this file nor in the catalog"]


def _unknown_references(doc: CatalogDocument, held: CatalogView) -> list[str]:
    advertisers = {a.id for a in doc.advertisers} | held.advertisers.keys()
    webmasters = {w.id for w in doc.webmasters} | held.webmasters.keys()
    goals = {offer_id: set(offer.goals) for offer_id, offer in held.offers.items()}
    for offer in doc.offers:
        goals.setdefault(offer.id, set()).update(goal.id for goal in offer.goals)
    problems = []
    for i, offer in enumerate(doc.offers):
        problems += _unknown(
            f"$.offers[{i}].advertiser", "advertiser", offer.advertiser, advertisers
        )
    for i, flow in enumerate(doc.flows):
        problems += _unknown(f"$.flows[{i}].offer", "offer", flow.offer, goals)
        problems += _unknown(f"$.flows[{i}].webmaster", "webmaster", flow.webmaster, webmasters)
    return problems + _unknown_personal_rate_references(doc, webmasters, goals)


def _unknown_personal_rate_references(
    doc: CatalogDocument, webmasters: set[str], goals: dict[str, set[str]]
) -> list[str]:
    problems = []
    for i, rate in enumerate(doc.personal_rates):
        place = f"$.personal_rates[{i}]"
        problems += _unknown(f"{place}.webmaster", "webmaster", rate.webmaster, webmasters)
        problems += _unknown(f"{place}.offer", "offer", rate.offer, goals)
        if rate.offer in goals:
            kind = f"goal of offer {rate.offer!r}"
            problems += _unknown(f"{place}.goal", kind, rate.goal, goals[rate.offer])
    return problems


def _kept_goal_clashes(doc: CatalogDocument, held: CatalogView) -> list[str]:
    """The file never deletes a goal, so its goals must not collide with the ones it keeps."""
    problems = []
    for i, offer in enumerate(doc.offers):
        in_file = {goal.id for goal in offer.goals}
        kept = (
            [
                goal
                for goal_id, goal in held.offers[offer.id].goals.items()
                if goal_id not in in_file
            ]
            if offer.id in held.offers
            else []
        )
        claimed = {
            word.casefold(): f"goal {goal.id!r} kept from the catalog"
            for goal in kept
            for word in (goal.id, *goal.aliases)
        }
        problems += _goal_word_problems(f"$.offers[{i}]", offer.goals, claimed)
    return problems


def _kept_flow_code_clashes(doc: CatalogDocument, held: CatalogView) -> list[str]:
    in_file = {flow.id for flow in doc.flows}
    kept = {flow.code: flow.id for flow in held.flows.values() if flow.id not in in_file}
    return [
        f"$.flows[{i}].code: flow code {flow.code!r} is already used by flow "
        f"{kept[flow.code]} in the catalog"
        for i, flow in enumerate(doc.flows)
        if flow.code in kept
    ]
