"""What the catalog holds: advertisers, webmasters, offers with goals and rate versions, sites,
flows. Immutable values, replaced whole when an event changes them.

Offers, goals, sites and flows can be switched off (`active = False`) but never removed: leads
and ledger entries keep pointing at them, and money already earned on them must still settle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from urllib.parse import quote

from domain.money import Money
from domain.rate_schedule import active, in_force_on


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
    """What one goal pays on both sides from `effective_from` on (`domain.rate_schedule`)."""

    version: int
    effective_from: datetime
    advertiser: Money
    webmaster: Money
    applied_at: datetime | None = None
    applied_by: str = ""


@dataclass(frozen=True)
class PersonalRateVersion:
    """A webmaster's own payout for one goal of one offer from `effective_from` on, until
    `effective_until` if it ends."""

    version: int
    effective_from: datetime
    webmaster: Money
    effective_until: datetime | None = None
    applied_at: datetime | None = None
    applied_by: str = ""


@dataclass(frozen=True)
class Goal:
    """A conversion an offer pays for, named by its id or any alias, with its rate history."""

    id: str
    aliases: tuple[str, ...]
    is_default: bool
    rates: tuple[RateVersion, ...] = ()
    active: bool = True
    schedule: tuple[RateVersion, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schedule", active(self.rates))

    def rate_at(self, when: datetime) -> RateVersion | None:
        return in_force_on(self.schedule, when)

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
    active: bool = True
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
    active: bool = True


@dataclass(frozen=True)
class Flow:
    """A webmaster's traffic stream into one offer, named by a numeric id or a code."""

    id: int
    code: str
    offer: str
    webmaster: str
    active: bool = True
