"""The catalog as the postback hot path reads it: an immutable snapshot with dict lookups.

`Catalog.view()` builds one from the aggregate's state. Callers cache it by `version` and take a
new one when the catalog changes, so a snapshot is shared between requests without locks.
Secrets exist here only as SHA-256 digests, compared in constant time. The values it holds are
in `domain.catalog_entities`, token handling in `domain.catalog_tokens`, and which rate version
applies when in `domain.rate_schedule`.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from domain.access import SiteAccess
from domain.catalog_entities import (
    Advertiser,
    Flow,
    Goal,
    Offer,
    PersonalRateVersion,
    RateVersion,
    Site,
    Webmaster,
)
from domain.catalog_tokens import (
    MAX_ID_DIGITS,
    TokenGrant,
    mask_token,
    parse_numeric_id,
    sha256_hex,
    split_site_token,
)
from domain.hold_rules import HoldRule
from domain.money import Money
from domain.payable_rules import PayableRules
from domain.rate_schedule import active, change_instants, in_force, in_force_on, latest

__all__ = [
    "MAX_ID_DIGITS", "Advertiser", "CatalogView", "CommissionTerms", "Flow", "Goal", "Offer",
    "PersonalRateKey", "PersonalRateVersion", "RateVersion", "Site", "TokenGrant", "Webmaster",
    "in_force", "latest", "mask_token", "parse_numeric_id", "sha256_hex", "split_site_token",
]  # fmt: skip


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
    # (offer, goal "" for the offer's own) -> its hold rule (domain.hold_rules)
    hold_rules: Mapping[tuple[str, str], HoldRule] = field(default_factory=dict)
    payable_rules: PayableRules = field(default_factory=PayableRules)  # lock_for, min_payout
    _personal_schedules: Mapping[PersonalRateKey, tuple[PersonalRateVersion, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Copies, so that the aggregate changing later cannot change a snapshot in use.
        for name in (
            "advertisers", "webmasters", "offers", "sites", "flows", "personal_rates",
            "site_access", "global_token_allowed_ips",
        ):  # fmt: skip
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        by_code = MappingProxyType({flow.code: flow for flow in self.flows.values()})
        object.__setattr__(self, "_flows_by_code", by_code)
        schedules = {key: active(rates) for key, rates in self.personal_rates.items()}
        object.__setattr__(self, "_personal_schedules", MappingProxyType(schedules))

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
        """The grant of a known token; a retired site's right key is a grant marked retired."""
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
        return TokenGrant("site", site.id, site.offer, retired=not site.active)

    def personal_schedule(self, key: PersonalRateKey) -> tuple[PersonalRateVersion, ...]:
        return self._personal_schedules.get(key, ())

    def terms_change_at(self, offer: str, goal: str, webmaster: str) -> list[datetime]:
        """The instants, in order, at which `commission_terms` of these three can change: where
        a version of the goal's rates or of the webmaster's personal rate starts or ends.
        Between two of them (and before the first) the terms stay the same."""
        found = self.offers.get(offer)
        resolved = None if found is None else found.resolve_goal(goal)
        if resolved is None:
            return []
        personal = self.personal_schedule((webmaster, offer, resolved.id))
        return sorted({*change_instants(resolved.schedule), *change_instants(personal)})

    def commission_terms(
        self, offer: str, goal: str, webmaster: str, at: datetime
    ) -> CommissionTerms | None:
        """Both sides of a conversion at `at`; None if the goal is unknown or has no rate yet."""
        found = self.offers.get(offer)
        resolved = None if found is None else found.resolve_goal(goal)
        rate = None if resolved is None else resolved.rate_at(at)
        if resolved is None or rate is None:
            return None
        personal = in_force_on(self.personal_schedule((webmaster, offer, resolved.id)), at)
        return CommissionTerms(
            advertiser=rate.advertiser,
            webmaster=rate.webmaster if personal is None else personal.webmaster,
            goal_rate_version=rate.version,
            personal_rate_version=None if personal is None else personal.version,
            offer=offer,
            goal=resolved.id,
            webmaster_id=webmaster,
        )
