"""The catalog file's schema: one msgspec Struct per TOML table, checked as it is decoded.

A new section of the file is a Struct here and a field of `CatalogDocument`; its checks go in
`domain.catalog_checks` (the file alone) or `domain.catalog_references` (against the catalog).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.catalog_tokens import MAX_ID_DIGITS
from domain.money import Money, parse_amount
from domain.webmaster_postbacks import PostbackEntry

Id = Annotated[str, msgspec.Meta(min_length=1, pattern=r"\A\S+\Z")]
Name = Annotated[str, msgspec.Meta(min_length=1)]
# Site and flow ids travel as digits in tokens and postbacks; they must parse back.
NumericId = Annotated[int, msgspec.Meta(ge=1, lt=10**MAX_ID_DIGITS)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


class Entry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A table of the file. An unknown key is a typo to report, never something to skip."""


class AmountEntry(Entry):
    """One side of a goal's rate, e.g. `{ amount = "10.00", currency = "USD" }`."""

    amount: str
    currency: str

    def money(self) -> Money:
        return Money(parse_amount(self.amount, self.currency), self.currency)


class RateEntry(Entry):
    """One version of a goal's schedule (`[[offers.goals.rates]]`): both sides from a date on."""

    effective_from: AwareDatetime
    webmaster: AmountEntry
    advertiser: AmountEntry


class GoalEntry(Entry):
    """A goal of an offer: its current rate (`webmaster`, `advertiser`, optional
    `effective_from`) or its whole schedule (`rates`), one of the two."""

    id: Id
    webmaster: AmountEntry | None = None
    advertiser: AmountEntry | None = None
    aliases: list[Id] = []
    default: bool = False
    effective_from: AwareDatetime | None = None
    rates: list[RateEntry] = []
    active: bool = True
    hold_for: str | None = None  # wins over the offer's (domain.hold_rules)
    after_hold: str | None = None


class SiteEntry(Entry):
    """A site sending postbacks for the offer; its token on the wire is `<id>-<key>`."""

    id: NumericId
    key: str
    # Access rules; the site's entry states them in full: absent means no restriction.
    allowed_ips: list[str] = []
    require_signature: bool = False
    active: bool = True


class OfferEntry(Entry):
    """An offer with its goals (exactly one of them the default) and its sites."""

    id: Id
    name: Name
    advertiser: Id
    landing_url: str
    goals: list[GoalEntry] = []
    sites: list[SiteEntry] = []
    active: bool = True
    hold_for: str | None = None  # how long a lead stays on hold (domain.hold_rules)
    after_hold: str | None = None  # then: "approve" (default) or "cancel"
    lock_for: str | None = None  # approved money payable after this long (domain.payable_rules)


class AdvertiserEntry(Entry):
    """An advertiser, named by the offers it pays for."""

    id: Id
    name: Name


class WebmasterEntry(Entry):
    """A webmaster, named by flows and personal rates."""

    id: Id
    name: Name
    postbacks: list[PostbackEntry] = []  # where the webmaster's tracker hears of its leads
    min_payout: str | list[str] | None = None  # "50.00 USD" or one per currency


class FlowEntry(Entry):
    """A webmaster's flow into an offer; postbacks name it by id or by its code."""

    id: NumericId
    code: Id
    offer: Id
    webmaster: Id
    active: bool = True
    postbacks: list[PostbackEntry] = []  # the flow's own tracker targets; they win


class PersonalRateEntry(Entry):
    """A webmaster's own payout for one goal of an offer; the advertiser side stays."""

    webmaster: Id
    offer: Id
    goal: Id
    amount: str
    currency: str
    effective_from: AwareDatetime | None = None
    effective_until: AwareDatetime | None = None

    def money(self) -> Money:
        return Money(parse_amount(self.amount, self.currency), self.currency)


class NetworkEntry(Entry):
    """Network-wide settings: the global tokens, which replace the held ones when given (a token
    left out is revoked)."""

    global_tokens: list[str] = []
    # token -> CIDRs it may be used from; a token missing here may be used from anywhere.
    global_token_allowed_ips: dict[str, list[str]] = {}


class CatalogDocument(Entry):
    """The whole file. `network` absent leaves the global tokens as they are."""

    network: NetworkEntry | None = None
    advertisers: list[AdvertiserEntry] = []
    webmasters: list[WebmasterEntry] = []
    offers: list[OfferEntry] = []
    flows: list[FlowEntry] = []
    personal_rates: list[PersonalRateEntry] = []
