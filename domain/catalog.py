"""The catalog aggregate: everything commissions depend on, with every change audited as an event.

One aggregate holds the whole network: advertisers, webmasters, offers with their goals and
versioned rates, the sites that send postbacks, flows, personal rates and the global tokens.
Operators maintain it from a TOML file (`domain.catalog_document`); applying a file triggers
events only for what differs (`domain.catalog_apply`); which rate version applies when is
`domain.rate_schedule`'s rule. Site keys and global tokens are kept only as SHA-256 digests.

Stored events name these classes (`domain.catalog:Catalog.GoalRateVersionAdded`): they stay
here, and a field added to one has a default, so that events stored before it still load.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import catalog_apply as apply
from domain.access import SiteAccess
from domain.catalog_changes import CatalogChanges, ChangeLog, RetroactiveRateChange, utc
from domain.catalog_document import CatalogDocument, CatalogError, document_problems
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
from domain.catalog_payable import PayableRulesKept, apply_offer_rules
from domain.catalog_references import reference_problems
from domain.catalog_view import CatalogView, PersonalRateKey
from domain.money import Money
from domain.rate_plans import period_problems

__all__ = ["CATALOG_ID", "Catalog", "CatalogChanges", "RetroactiveRateChange"]

CATALOG_ID = uuid5(NAMESPACE_URL, "postback-ledger:catalog")


class Catalog(PayableRulesKept):
    """The network's one catalog, changed only by applying catalog files."""

    @classmethod
    def create_id(cls) -> UUID:
        return CATALOG_ID

    class Started(Aggregate.Created):
        """The catalog came into being, empty."""

    @event(Started)
    def __init__(self) -> None:
        self._advertisers: dict[str, Advertiser] = {}
        self._webmasters: dict[str, Webmaster] = {}
        self._offers: dict[str, Offer] = {}
        self._sites: dict[int, Site] = {}
        self._flows: dict[int, Flow] = {}
        self._personal_rates: dict[PersonalRateKey, tuple[PersonalRateVersion, ...]] = {}
        self._global_token_sha256s: tuple[str, ...] = ()
        self._site_access: dict[int, SiteAccess] = {}
        self._global_token_allowed_ips: dict[str, tuple[str, ...]] = {}

    def view(self) -> CatalogView:
        return CatalogView(
            version=self.version,
            advertisers=self._advertisers,
            webmasters=self._webmasters,
            offers=self._offers,
            sites=self._sites,
            flows=self._flows,
            personal_rates=self._personal_rates,
            global_token_sha256s=self._global_token_sha256s,
            site_access=self._site_access,
            global_token_allowed_ips=self._global_token_allowed_ips,
            hold_rules=self.hold_rules(),
            payable_rules=self.payable_rules(),
        )

    def apply_document(
        self, doc: CatalogDocument, now: datetime, actor: str = ""
    ) -> CatalogChanges:
        """Make the catalog say what the file says; raise CatalogError and change nothing if
        the file has problems. `actor` (an admin token's name) is kept with each rate."""
        held = self.view()
        log = ChangeLog(utc(now), actor, held.version)
        problems = document_problems(doc) + reference_problems(doc, held)
        problems += period_problems(doc.personal_rates, held.personal_rates, log.now)
        if problems:
            raise CatalogError(problems)
        apply.apply_parties(self, doc, held, log)
        for offer in doc.offers:
            apply.apply_offer(self, offer, held.offers.get(offer.id), log)
            apply_offer_rules(self, offer, log)
        apply.apply_flows(self, doc, held, log)
        for rate in doc.personal_rates:
            apply.apply_personal_rate(self, rate, log)
        apply.apply_global_tokens(self, doc, held, log)
        return log.changes()

    def goal_rates(self, offer: str, goal: str) -> tuple[RateVersion, ...]:
        known = self._offers.get(offer)
        found = None if known is None else known.goals.get(goal)
        return () if found is None else found.rates

    def personal_rates_of(self, key: PersonalRateKey) -> tuple[PersonalRateVersion, ...]:
        return self._personal_rates.get(key, ())

    def site(self, site_id: int) -> tuple[Site | None, SiteAccess]:
        return self._sites.get(site_id), self._site_access.get(site_id, SiteAccess())

    class AdvertiserDefined(Aggregate.Event):
        """An advertiser was added or renamed."""

        id: str
        name: str

    @event(AdvertiserDefined)
    def _define_advertiser(self, id: str, name: str) -> None:
        self._advertisers[id] = Advertiser(id, name)

    class WebmasterDefined(Aggregate.Event):
        """A webmaster was added or renamed."""

        id: str
        name: str

    @event(WebmasterDefined)
    def _define_webmaster(self, id: str, name: str) -> None:
        self._webmasters[id] = Webmaster(id, name)

    class OfferDefined(Aggregate.Event):
        """An offer was added, renamed, re-pointed, paused (`active` false) or resumed."""

        id: str
        name: str
        advertiser: str
        landing_url: str
        active: bool = True

    @event(OfferDefined)
    def _define_offer(
        self, id: str, name: str, advertiser: str, landing_url: str, active: bool = True
    ) -> None:
        known = self._offers.get(id)
        goals = {} if known is None else known.goals
        self._offers[id] = Offer(id, name, advertiser, landing_url, goals, active)

    class GoalDefined(Aggregate.Event):
        """A goal was added to an offer, its aliases or default flag changed, or it was retired
        (`active` false) or brought back."""

        offer: str
        goal: str
        aliases: list[str]
        is_default: bool
        active: bool = True

    @event(GoalDefined)
    def _define_goal(
        self, offer: str, goal: str, aliases: list[str], is_default: bool, active: bool = True
    ) -> None:
        known = self._offers[offer].goals.get(goal)
        rates = () if known is None else known.rates
        self._offers[offer] = self._offers[offer].with_goal(
            Goal(goal, tuple(aliases), is_default, rates, active)
        )

    class GoalRateVersionAdded(Aggregate.Event):
        """A goal's rates from `effective_from` on (superseding versions that start then or
        later); earlier versions still apply before. `applied_by`: the admin token's name."""

        offer: str
        goal: str
        version: int
        effective_from: datetime
        advertiser_amount: Decimal
        advertiser_currency: str
        webmaster_amount: Decimal
        webmaster_currency: str
        applied_by: str = ""

    @event(GoalRateVersionAdded)
    def _add_goal_rate_version(
        self,
        offer: str,
        goal: str,
        version: int,
        effective_from: datetime,
        advertiser_amount: Decimal,
        advertiser_currency: str,
        webmaster_amount: Decimal,
        webmaster_currency: str,
        applied_by: str = "",
        timestamp: datetime | None = None,
    ) -> None:
        rate = RateVersion(
            version,
            effective_from,
            Money(advertiser_amount, advertiser_currency),
            Money(webmaster_amount, webmaster_currency),
            timestamp,
            applied_by,
        )
        known = self._offers[offer]
        self._offers[offer] = known.with_goal(known.goals[goal].with_rate(rate))

    class SiteDefined(Aggregate.Event):
        """A site was added, moved, given a new key (only its digest), retired or re-activated."""

        id: int
        offer: str
        key_sha256: str
        active: bool = True

    @event(SiteDefined)
    def _define_site(self, id: int, offer: str, key_sha256: str, active: bool = True) -> None:
        self._sites[id] = Site(id, offer, key_sha256, active)

    class FlowDefined(Aggregate.Event):
        """A flow was added, re-pointed, paused (`active` false) or resumed."""

        id: int
        code: str
        offer: str
        webmaster: str
        active: bool = True

    @event(FlowDefined)
    def _define_flow(
        self, id: int, code: str, offer: str, webmaster: str, active: bool = True
    ) -> None:
        self._flows[id] = Flow(id, code, offer, webmaster, active)

    class GlobalTokensSet(Aggregate.Event):
        """The network's global tokens were replaced (only their digests); left out: revoked."""

        token_sha256s: list[str]

    @event(GlobalTokensSet)
    def _set_global_tokens(self, token_sha256s: list[str]) -> None:
        self._global_token_sha256s = tuple(token_sha256s)

    class PersonalRateVersionAdded(Aggregate.Event):
        """A webmaster's own payout for a goal from `effective_from` on (until
        `effective_until`, if it ends), by the same rule as goal rates."""

        webmaster: str
        offer: str
        goal: str
        version: int
        effective_from: datetime
        amount: Decimal
        currency: str
        effective_until: datetime | None = None
        applied_by: str = ""

    @event(PersonalRateVersionAdded)
    def _add_personal_rate_version(
        self,
        webmaster: str,
        offer: str,
        goal: str,
        version: int,
        effective_from: datetime,
        amount: Decimal,
        currency: str,
        effective_until: datetime | None = None,
        applied_by: str = "",
        timestamp: datetime | None = None,
    ) -> None:
        key = (webmaster, offer, goal)
        rate = PersonalRateVersion(
            version, effective_from, Money(amount, currency), effective_until, timestamp, applied_by
        )
        self._personal_rates[key] = (*self._personal_rates.get(key, ()), rate)

    class SiteAccessSet(Aggregate.Event):
        """A site's address allowlist or its need for signed postbacks changed."""

        site: int
        allowed_ips: list[str]
        require_signature: bool

    @event(SiteAccessSet)
    def _set_site_access(self, site: int, allowed_ips: list[str], require_signature: bool) -> None:
        self._site_access[site] = SiteAccess(tuple(allowed_ips), require_signature)

    class GlobalTokenAllowlistsSet(Aggregate.Event):
        """The address allowlists of the global tokens were replaced (keyed by token digest)."""

        allowed_ips: dict[str, list[str]]

    @event(GlobalTokenAllowlistsSet)
    def _set_global_token_allowlists(self, allowed_ips: dict[str, list[str]]) -> None:
        self._global_token_allowed_ips = {k: tuple(v) for k, v in allowed_ips.items()}
