"""The catalog as the postback hot path reads it: an immutable snapshot with dict lookups.

`Catalog.view()` builds one from the aggregate's state. Callers cache it by `version` and take a
new one when the catalog changes, so a snapshot is shared between requests without locks.
Secrets exist here only as SHA-256 digests, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Literal, Protocol, TypeVar
from urllib.parse import quote

from domain.access import SiteAccess
from domain.money import Money

# Longer digit runs are never ids; the cap also keeps int() far from its 4,300-digit limit.
MAX_ID_DIGITS = 18


def sha256_hex(secret: str) -> str:
    """The only form in which a site key or a global token is kept."""
    # surrogatepass: a token from the wire may hold lone surrogates; it must not crash the check.
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def parse_numeric_id(text: str) -> int | None:
    """The id a string of ASCII digits names, or None for anything else."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def split_site_token(token: str) -> tuple[int, str] | None:
    """(site id, key) of a `<siteId>-<siteKey>` token, or None if it does not have that shape."""
    site, separator, key = token.partition("-")
    site_id = parse_numeric_id(site)
    if not separator or site_id is None or not key:
        return None
    return site_id, key


def mask_token(token: str) -> str:
    """The token as a stored postback may show it: the site id at most, never a key."""
    site = split_site_token(token)
    if site is not None:
        return f"{site[0]}-***"
    # Two characters of a long token help support tell tokens apart and reveal next to nothing.
    return (token[:2] if len(token) > 8 else "") + "***"


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def effective_from(self) -> datetime: ...


_V = TypeVar("_V", bound=_Versioned)


def in_force(versions: Iterable[_V], when: datetime) -> _V | None:
    """The version with the latest effective_from not after `when` (ties: the highest version)."""
    started = [version for version in versions if version.effective_from <= when]
    return max(started, key=lambda version: (version.effective_from, version.version), default=None)


def latest(versions: Iterable[_V]) -> _V | None:
    """The version added last, whatever its effective_from."""
    return max(versions, key=lambda version: version.version, default=None)


@dataclass(frozen=True)
class Advertiser:
    """A company that pays the network for conversions."""

    id: str
    name: str


@dataclass(frozen=True)
class Webmaster:
    """A traffic source that the network pays for conversions."""

    id: str
    name: str


@dataclass(frozen=True)
class RateVersion:
    """What one goal pays on both sides from `effective_from` on."""

    version: int
    effective_from: datetime
    advertiser: Money
    webmaster: Money


@dataclass(frozen=True)
class PersonalRateVersion:
    """A webmaster's own payout for one goal of one offer from `effective_from` on."""

    version: int
    effective_from: datetime
    webmaster: Money


@dataclass(frozen=True)
class Goal:
    """A conversion an offer pays for, named by its id or any alias, with its rate history."""

    id: str
    aliases: tuple[str, ...]
    is_default: bool
    rates: tuple[RateVersion, ...] = ()

    def rate_at(self, when: datetime) -> RateVersion | None:
        return in_force(self.rates, when)

    def with_rate(self, rate: RateVersion) -> Goal:
        return replace(self, rates=(*self.rates, rate))


@dataclass(frozen=True)
class Offer:
    """What an advertiser buys: its goals and where its traffic lands."""

    id: str
    name: str
    advertiser: str
    landing_url: str
    goals: Mapping[str, Goal] = field(default_factory=dict)
    default_goal: str = field(init=False)
    _goal_words: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = {}
        for goal in self.goals.values():
            for word in (goal.id, *goal.aliases):
                words.setdefault(word.casefold(), goal.id)
        defaults = [goal.id for goal in self.goals.values() if goal.is_default]
        object.__setattr__(self, "goals", MappingProxyType(dict(self.goals)))
        object.__setattr__(self, "_goal_words", words)
        # Empty only between an offer's first event and its goals' events.
        object.__setattr__(self, "default_goal", defaults[0] if defaults else "")

    def resolve_goal(self, word: str) -> Goal | None:
        """The goal a postback's word names: its id or an alias, case and spaces ignored."""
        goal_id = self._goal_words.get(word.strip().casefold())
        return None if goal_id is None else self.goals[goal_id]

    def landing_for(self, click_id: str) -> str:
        return self.landing_url.replace("{click}", quote(click_id, safe=""))

    def with_goal(self, goal: Goal) -> Offer:
        return replace(self, goals={**self.goals, goal.id: goal})


@dataclass(frozen=True)
class Site:
    """An advertiser's site that sends postbacks for one offer, known by its key's digest."""

    id: int
    offer: str
    key_sha256: str


@dataclass(frozen=True)
class Flow:
    """A webmaster's traffic stream into one offer, named by a numeric id or a code."""

    id: int
    code: str
    offer: str
    webmaster: str


@dataclass(frozen=True)
class TokenGrant:
    """What an accepted postback token may touch: any offer, or the offer of its site."""

    kind: Literal["global", "site"]
    site_id: int | None = None
    offer: str | None = None

    def allows(self, offer_id: str) -> bool:
        return self.kind == "global" or self.offer == offer_id


@dataclass(frozen=True)
class CommissionTerms:
    """The money one conversion is worth, and which rate versions said so."""

    advertiser: Money
    webmaster: Money
    goal_rate_version: int
    personal_rate_version: int | None
    offer: str
    goal: str
    webmaster_id: str

    @property
    def rule_version_label(self) -> str:
        label = f"{self.offer}/{self.goal}@v{self.goal_rate_version}"
        if self.personal_rate_version is not None:
            label += f"+personal:{self.webmaster_id}@v{self.personal_rate_version}"
        return label


PersonalRateKey = tuple[str, str, str]
"""(webmaster, offer, goal)"""


@dataclass(frozen=True)
class CatalogView:
    """Everything a postback needs from the catalog at one catalog version."""

    version: int
    advertisers: Mapping[str, Advertiser]
    webmasters: Mapping[str, Webmaster]
    offers: Mapping[str, Offer]
    sites: Mapping[int, Site]
    flows: Mapping[int, Flow]
    personal_rates: Mapping[PersonalRateKey, tuple[PersonalRateVersion, ...]]
    global_token_sha256s: tuple[str, ...]
    _flows_by_code: Mapping[str, Flow] = field(init=False, repr=False, compare=False)
    # Optional access rules (domain.access): site id -> rules; global token digest -> CIDRs.
    site_access: Mapping[int, SiteAccess] = field(default_factory=dict)
    global_token_allowed_ips: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Copies, so that the aggregate changing later cannot change a snapshot in use.
        for name in (
            "advertisers", "webmasters", "offers", "sites", "flows", "personal_rates",
            "site_access", "global_token_allowed_ips",
        ):  # fmt: skip
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        by_code = MappingProxyType({flow.code: flow for flow in self.flows.values()})
        object.__setattr__(self, "_flows_by_code", by_code)

    @classmethod
    def empty(cls) -> CatalogView:
        return cls(0, {}, {}, {}, {}, {}, {}, ())

    def flow(self, ref: str) -> Flow | None:
        """The flow a postback names: digits are a flow id, anything else a flow code."""
        ref = ref.strip()
        flow_id = parse_numeric_id(ref)
        return self._flows_by_code.get(ref) if flow_id is None else self.flows.get(flow_id)

    def flow_by_id(self, flow_id: int) -> Flow | None:
        return self.flows.get(flow_id)

    def authorise(self, token: str) -> TokenGrant | None:
        digest = sha256_hex(token)
        if any(hmac.compare_digest(digest, known) for known in self.global_token_sha256s):
            return TokenGrant("global")
        parsed = split_site_token(token)
        if parsed is None:
            return None
        site_id, key = parsed
        site = self.sites.get(site_id)
        if site is None or not hmac.compare_digest(sha256_hex(key), site.key_sha256):
            return None
        return TokenGrant("site", site.id, site.offer)

    def terms_change_at(self, offer: str, goal: str, webmaster: str) -> list[datetime]:
        """The instants, in order, at which `commission_terms` of these three can change: the
        `effective_from` of each version of the goal's rates and of the webmaster's personal
        rates. Between two of them (and before the first) the terms stay the same."""
        found = self.offers.get(offer)
        resolved = None if found is None else found.resolve_goal(goal)
        if resolved is None:
            return []
        personal = self.personal_rates.get((webmaster, offer, resolved.id), ())
        return sorted({version.effective_from for version in (*resolved.rates, *personal)})

    def commission_terms(
        self, offer: str, goal: str, webmaster: str, at: datetime
    ) -> CommissionTerms | None:
        """Both sides of a conversion at `at`; None if the goal is unknown or has no rate yet."""
        found = self.offers.get(offer)
        resolved = None if found is None else found.resolve_goal(goal)
        rate = None if resolved is None else resolved.rate_at(at)
        if resolved is None or rate is None:
            return None
        personal = in_force(self.personal_rates.get((webmaster, offer, resolved.id), ()), at)
        return CommissionTerms(
            advertiser=rate.advertiser,
            webmaster=rate.webmaster if personal is None else personal.webmaster,
            goal_rate_version=rate.version,
            personal_rate_version=None if personal is None else personal.version,
            offer=offer,
            goal=resolved.id,
            webmaster_id=webmaster,
        )
