"""The catalog aggregate: everything commissions depend on, with every change audited as an event.

One aggregate holds the whole network: advertisers, webmasters, offers with their goals and
versioned rates, the sites that send postbacks, flows, personal rates and the global tokens.
Operators maintain it from a TOML file (`domain.catalog_document`); applying a file triggers
events only for what differs, so applying the same file twice changes nothing.

The file adds and changes; it never deletes. Anything missing from the file stays in the catalog,
because leads and ledger entries point at it and a partial file must not pull it from under them.
A new rate is a new version from its `effective_from` (from the file, else the moment the file is
applied); old versions stay, so conversions keep the rate that was in force when they happened.
Site keys and global tokens are kept only as SHA-256 digests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.access import SiteAccess
from domain.catalog_document import (
    CatalogDocument,
    CatalogError,
    GoalEntry,
    OfferEntry,
    PersonalRateEntry,
    SiteEntry,
    document_problems,
    reference_problems,
)
from domain.catalog_view import (
    Advertiser,
    CatalogView,
    Flow,
    Goal,
    Offer,
    PersonalRateKey,
    PersonalRateVersion,
    RateVersion,
    Site,
    Webmaster,
    latest,
    sha256_hex,
)
from domain.money import Money

CATALOG_ID = uuid5(NAMESPACE_URL, "postback-ledger:catalog")


class RetroactiveRateChange(NamedTuple):
    """A new rate version that starts before it was added: past commissions need a rebuild."""

    offer: str
    goal: str
    webmaster: str | None
    effective_from: datetime


@dataclass(frozen=True)
class CatalogChanges:
    """What applying a catalog file changed, in words an operator reads."""

    lines: tuple[str, ...] = ()
    retroactive_rate_changes: tuple[RetroactiveRateChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.lines


@dataclass
class _ChangeLog:
    now: datetime
    lines: list[str] = field(default_factory=list)
    retroactive: list[RetroactiveRateChange] = field(default_factory=list)

    def rate_added(self, change: RetroactiveRateChange, line: str) -> None:
        self.lines.append(line)
        if change.effective_from < self.now:
            self.retroactive.append(change)

    def changes(self) -> CatalogChanges:
        return CatalogChanges(tuple(self.lines), tuple(self.retroactive))


def _verb(known: object) -> str:
    return "added" if known is None else "changed"


def _new_version_due(
    latest_from: datetime | None,
    held_money: tuple[Money, ...],
    file_money: tuple[Money, ...],
    file_from: datetime | None,
) -> bool:
    """Due when the money differs, or when the file re-dates the same money."""
    if latest_from is None or held_money != file_money:
        return True
    return file_from is not None and file_from != latest_from


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"a timezone-aware datetime is needed, got {moment.isoformat()}")
    return moment.astimezone(UTC)


class Catalog(Aggregate):
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
        )

    def apply_document(self, doc: CatalogDocument, now: datetime) -> CatalogChanges:
        """Make the catalog say what the file says; raise CatalogError and change nothing if
        the file has problems."""
        log = _ChangeLog(_utc(now))
        held = self.view()
        problems = document_problems(doc) + reference_problems(doc, held)
        if problems:
            raise CatalogError(problems)
        self._apply_parties(doc, held, log)
        for offer in doc.offers:
            self._apply_offer(offer, held.offers.get(offer.id), log)
        self._apply_flows(doc, held, log)
        for rate in doc.personal_rates:
            self._apply_personal_rate(rate, held, log)
        self._apply_global_tokens(doc, held, log)
        return log.changes()

    def _apply_parties(self, doc: CatalogDocument, held: CatalogView, log: _ChangeLog) -> None:
        for advertiser in doc.advertisers:
            known = held.advertisers.get(advertiser.id)
            if known != Advertiser(advertiser.id, advertiser.name):
                self._define_advertiser(id=advertiser.id, name=advertiser.name)
                log.lines.append(f"{_verb(known)} advertiser {advertiser.id}: {advertiser.name}")
        for webmaster in doc.webmasters:
            known = held.webmasters.get(webmaster.id)
            if known != Webmaster(webmaster.id, webmaster.name):
                self._define_webmaster(id=webmaster.id, name=webmaster.name)
                log.lines.append(f"{_verb(known)} webmaster {webmaster.id}: {webmaster.name}")

    def _apply_offer(self, entry: OfferEntry, known: Offer | None, log: _ChangeLog) -> None:
        header = (entry.name, entry.advertiser, entry.landing_url)
        if known is None or header != (known.name, known.advertiser, known.landing_url):
            self._define_offer(
                id=entry.id,
                name=entry.name,
                advertiser=entry.advertiser,
                landing_url=entry.landing_url,
            )
            log.lines.append(f"{_verb(known)} offer {entry.id}: {entry.name}")
        self._demote_kept_default_goal(entry, known, log)
        for goal in entry.goals:
            known_goal = None if known is None else known.goals.get(goal.id)
            self._apply_goal(entry.id, goal, known_goal, log)
            self._apply_goal_rate(entry.id, goal, known_goal, log)
        for site in entry.sites:
            self._apply_site(entry.id, site.id, sha256_hex(site.key), log)
            self._apply_site_access(site, log)

    def _demote_kept_default_goal(
        self, entry: OfferEntry, known: Offer | None, log: _ChangeLog
    ) -> None:
        """The file names the offer's one default goal; a kept goal stops being the default."""
        in_file = {goal.id for goal in entry.goals}
        if known is None or not known.default_goal or known.default_goal in in_file:
            return
        demoted = known.goals[known.default_goal]
        self._define_goal(
            offer=entry.id, goal=demoted.id, aliases=list(demoted.aliases), is_default=False
        )
        log.lines.append(f"changed goal {entry.id}/{demoted.id}: no longer the default")

    def _apply_goal(
        self, offer: str, entry: GoalEntry, known: Goal | None, log: _ChangeLog
    ) -> None:
        definition = (tuple(entry.aliases), entry.default)
        if known is None or definition != (known.aliases, known.is_default):
            self._define_goal(
                offer=offer, goal=entry.id, aliases=list(entry.aliases), is_default=entry.default
            )
            log.lines.append(f"{_verb(known)} goal {offer}/{entry.id}")

    def _apply_goal_rate(
        self, offer: str, entry: GoalEntry, known: Goal | None, log: _ChangeLog
    ) -> None:
        latest_rate = None if known is None else latest(known.rates)
        advertiser, webmaster = entry.advertiser.money(), entry.webmaster.money()
        held = () if latest_rate is None else (latest_rate.advertiser, latest_rate.webmaster)
        latest_from = None if latest_rate is None else latest_rate.effective_from
        if not _new_version_due(latest_from, held, (advertiser, webmaster), entry.effective_from):
            return
        version = 1 if latest_rate is None else latest_rate.version + 1
        effective_from = _utc(entry.effective_from or log.now)
        self._add_goal_rate_version(
            offer=offer,
            goal=entry.id,
            version=version,
            effective_from=effective_from,
            advertiser_amount=advertiser.amount,
            advertiser_currency=advertiser.currency,
            webmaster_amount=webmaster.amount,
            webmaster_currency=webmaster.currency,
        )
        log.rate_added(
            RetroactiveRateChange(offer, entry.id, None, effective_from),
            f"rate {offer}/{entry.id} v{version} from {effective_from.isoformat()}: advertiser "
            f"{advertiser.amount} {advertiser.currency}, webmaster {webmaster.amount} "
            f"{webmaster.currency}",
        )

    def _apply_site(self, offer: str, site_id: int, key_sha256: str, log: _ChangeLog) -> None:
        known = self._sites.get(site_id)
        if known == Site(site_id, offer, key_sha256):
            return
        self._define_site(id=site_id, offer=offer, key_sha256=key_sha256)
        if known is None:
            log.lines.append(f"added site {site_id} of offer {offer}")
        elif known.offer != offer:
            log.lines.append(f"moved site {site_id} from offer {known.offer} to offer {offer}")
        else:
            log.lines.append(f"changed the key of site {site_id} of offer {offer}")

    def _apply_flows(self, doc: CatalogDocument, held: CatalogView, log: _ChangeLog) -> None:
        for entry in doc.flows:
            known = held.flows.get(entry.id)
            flow = Flow(entry.id, entry.code, entry.offer, entry.webmaster)
            if known != flow:
                self._define_flow(
                    id=flow.id, code=flow.code, offer=flow.offer, webmaster=flow.webmaster
                )
                log.lines.append(
                    f"{_verb(known)} flow {flow.id} ({flow.code}): offer "
                    f"{flow.offer}, webmaster {flow.webmaster}"
                )

    def _apply_personal_rate(
        self, entry: PersonalRateEntry, held: CatalogView, log: _ChangeLog
    ) -> None:
        key = (entry.webmaster, entry.offer, entry.goal)
        latest_rate = latest(held.personal_rates.get(key, ()))
        money = entry.money()
        held_money = () if latest_rate is None else (latest_rate.webmaster,)
        latest_from = None if latest_rate is None else latest_rate.effective_from
        if not _new_version_due(latest_from, held_money, (money,), entry.effective_from):
            return
        version = 1 if latest_rate is None else latest_rate.version + 1
        effective_from = _utc(entry.effective_from or log.now)
        self._add_personal_rate_version(
            webmaster=entry.webmaster,
            offer=entry.offer,
            goal=entry.goal,
            version=version,
            effective_from=effective_from,
            amount=money.amount,
            currency=money.currency,
        )
        log.rate_added(
            RetroactiveRateChange(entry.offer, entry.goal, entry.webmaster, effective_from),
            f"personal rate of {entry.webmaster} for {entry.offer}/{entry.goal} v{version} from "
            f"{effective_from.isoformat()}: {money.amount} {money.currency}",
        )

    def _apply_global_tokens(
        self, doc: CatalogDocument, held: CatalogView, log: _ChangeLog
    ) -> None:
        if doc.network is None:
            return
        digests = sorted({sha256_hex(token) for token in doc.network.global_tokens})
        if tuple(digests) != held.global_token_sha256s:
            self._set_global_tokens(token_sha256s=digests)
            log.lines.append(f"set the global tokens ({len(digests)} in force)")
        allowed = {
            sha256_hex(token): sorted(cidrs)
            for token, cidrs in doc.network.global_token_allowed_ips.items()
        }
        if {k: tuple(v) for k, v in allowed.items()} != dict(held.global_token_allowed_ips):
            self._set_global_token_allowlists(allowed_ips=allowed)
            log.lines.append(f"set the address allowlists of {len(allowed)} global tokens")

    def _apply_site_access(self, site: SiteEntry, log: _ChangeLog) -> None:
        wanted = SiteAccess(tuple(sorted(site.allowed_ips)), site.require_signature)
        if wanted == self._site_access.get(site.id, SiteAccess()):
            return
        self._set_site_access(
            site=site.id,
            allowed_ips=list(wanted.allowed_ips),
            require_signature=wanted.require_signature,
        )
        log.lines.append(
            f"set the access rules of site {site.id}: "
            f"{', '.join(wanted.allowed_ips) or 'any address'}"
            f"{', signed postbacks only' if wanted.require_signature else ''}"
        )

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
        """An offer was added, or its name, advertiser or landing page changed."""

        id: str
        name: str
        advertiser: str
        landing_url: str

    @event(OfferDefined)
    def _define_offer(self, id: str, name: str, advertiser: str, landing_url: str) -> None:
        known = self._offers.get(id)
        goals = {} if known is None else known.goals
        self._offers[id] = Offer(id, name, advertiser, landing_url, goals)

    class GoalDefined(Aggregate.Event):
        """A goal was added to an offer, or its aliases or default flag changed."""

        offer: str
        goal: str
        aliases: list[str]
        is_default: bool

    @event(GoalDefined)
    def _define_goal(self, offer: str, goal: str, aliases: list[str], is_default: bool) -> None:
        known = self._offers[offer].goals.get(goal)
        rates = () if known is None else known.rates
        self._offers[offer] = self._offers[offer].with_goal(
            Goal(goal, tuple(aliases), is_default, rates)
        )

    class GoalRateVersionAdded(Aggregate.Event):
        """A goal's rates changed from `effective_from` on; earlier versions still apply before."""

        offer: str
        goal: str
        version: int
        effective_from: datetime
        advertiser_amount: Decimal
        advertiser_currency: str
        webmaster_amount: Decimal
        webmaster_currency: str

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
    ) -> None:
        rate = RateVersion(
            version,
            effective_from,
            Money(advertiser_amount, advertiser_currency),
            Money(webmaster_amount, webmaster_currency),
        )
        known = self._offers[offer]
        self._offers[offer] = known.with_goal(known.goals[goal].with_rate(rate))

    class SiteDefined(Aggregate.Event):
        """A site was added, moved to another offer, or given a new key (only its digest)."""

        id: int
        offer: str
        key_sha256: str

    @event(SiteDefined)
    def _define_site(self, id: int, offer: str, key_sha256: str) -> None:
        self._sites[id] = Site(id, offer, key_sha256)

    class FlowDefined(Aggregate.Event):
        """A flow was added or re-pointed."""

        id: int
        code: str
        offer: str
        webmaster: str

    @event(FlowDefined)
    def _define_flow(self, id: int, code: str, offer: str, webmaster: str) -> None:
        self._flows[id] = Flow(id, code, offer, webmaster)

    class GlobalTokensSet(Aggregate.Event):
        """The network's global tokens were replaced (only their digests)."""

        token_sha256s: list[str]

    @event(GlobalTokensSet)
    def _set_global_tokens(self, token_sha256s: list[str]) -> None:
        self._global_token_sha256s = tuple(token_sha256s)

    class PersonalRateVersionAdded(Aggregate.Event):
        """A webmaster's own payout for a goal changed from `effective_from` on."""

        webmaster: str
        offer: str
        goal: str
        version: int
        effective_from: datetime
        amount: Decimal
        currency: str

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
    ) -> None:
        key = (webmaster, offer, goal)
        rate = PersonalRateVersion(version, effective_from, Money(amount, currency))
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
