"""How a catalog file becomes events: each entry compared with what the catalog holds, and an
event triggered only for what differs, so applying the same file twice changes nothing.

The file adds, changes and switches off; it never deletes. Anything missing from the file stays
in the catalog, because leads and ledger entries point at it; `active = false` stops an offer,
goal, site or flow from taking new business while what it already has keeps settling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.access import SiteAccess
from domain.catalog_changes import ChangeLog, RetroactiveRateChange, switched, utc, verb
from domain.catalog_entities import Advertiser, Flow, Goal, Offer, Site, Webmaster
from domain.catalog_entries import (
    CatalogDocument,
    GoalEntry,
    OfferEntry,
    PersonalRateEntry,
    SiteEntry,
)
from domain.catalog_payable import apply_min_payouts
from domain.catalog_tokens import sha256_hex
from domain.catalog_view import CatalogView
from domain.rate_plans import first_difference, goal_plan, personal_plan

if TYPE_CHECKING:
    from domain.catalog import Catalog


def apply_parties(catalog: Catalog, doc: CatalogDocument, held: CatalogView, log: ChangeLog):
    for advertiser in doc.advertisers:
        known = held.advertisers.get(advertiser.id)
        if known != Advertiser(advertiser.id, advertiser.name):
            catalog._define_advertiser(id=advertiser.id, name=advertiser.name)
            log.lines.append(f"{verb(known)} advertiser {advertiser.id}: {advertiser.name}")
    for webmaster in doc.webmasters:
        known = held.webmasters.get(webmaster.id)
        if known != Webmaster(webmaster.id, webmaster.name):
            catalog._define_webmaster(id=webmaster.id, name=webmaster.name)
            log.lines.append(f"{verb(known)} webmaster {webmaster.id}: {webmaster.name}")
    apply_min_payouts(catalog, doc, log)


def apply_offer(catalog: Catalog, entry: OfferEntry, known: Offer | None, log: ChangeLog):
    header = (entry.name, entry.advertiser, entry.landing_url, entry.active)
    if known is None or header != (known.name, known.advertiser, known.landing_url, known.active):
        catalog._define_offer(
            id=entry.id,
            name=entry.name,
            advertiser=entry.advertiser,
            landing_url=entry.landing_url,
            active=entry.active,
        )
        log.lines.append(f"{verb(known)} offer {entry.id}: {entry.name}{switched(entry.active)}")
    _demote_kept_default_goal(catalog, entry, known, log)
    for goal in entry.goals:
        known_goal = None if known is None else known.goals.get(goal.id)
        _apply_goal(catalog, entry.id, goal, known_goal, log)
        _apply_goal_rates(catalog, entry.id, goal, known_goal, log)
    for site in entry.sites:
        _apply_site(catalog, entry.id, site, log)
        _apply_site_access(catalog, site, log)


def _demote_kept_default_goal(
    catalog: Catalog, entry: OfferEntry, known: Offer | None, log: ChangeLog
) -> None:
    """The file names the offer's one default goal; a kept goal stops being the default."""
    in_file = {goal.id for goal in entry.goals}
    if known is None or not known.default_goal or known.default_goal in in_file:
        return
    demoted = known.goals[known.default_goal]
    catalog._define_goal(
        offer=entry.id,
        goal=demoted.id,
        aliases=list(demoted.aliases),
        is_default=False,
        active=demoted.active,
    )
    log.lines.append(f"changed goal {entry.id}/{demoted.id}: no longer the default")


def _apply_goal(catalog: Catalog, offer: str, entry: GoalEntry, known: Goal | None, log):
    definition = (tuple(entry.aliases), entry.default, entry.active)
    if known is None or definition != (known.aliases, known.is_default, known.active):
        catalog._define_goal(
            offer=offer,
            goal=entry.id,
            aliases=list(entry.aliases),
            is_default=entry.default,
            active=entry.active,
        )
        log.lines.append(f"{verb(known)} goal {offer}/{entry.id}{switched(entry.active)}")


def _apply_goal_rates(catalog: Catalog, offer: str, entry: GoalEntry, known: Goal | None, log):
    held = () if known is None else known.rates
    for planned in goal_plan(held, entry, log.now):
        version = len(catalog.goal_rates(offer, entry.id)) + 1
        advertiser, webmaster = planned.money
        effective_from = utc(planned.effective_from)
        catalog._add_goal_rate_version(
            offer=offer,
            goal=entry.id,
            version=version,
            effective_from=effective_from,
            advertiser_amount=advertiser.amount,
            advertiser_currency=advertiser.currency,
            webmaster_amount=webmaster.amount,
            webmaster_currency=webmaster.currency,
            applied_by=log.actor,
        )
        log.lines.append(
            f"rate {offer}/{entry.id} v{version} from {effective_from.isoformat()}: advertiser "
            f"{advertiser.amount} {advertiser.currency}, webmaster {webmaster.amount} "
            f"{webmaster.currency}"
        )
    since = first_difference(held, catalog.goal_rates(offer, entry.id))
    log.rate_changed(None if since is None else RetroactiveRateChange(offer, entry.id, None, since))


def _apply_site(catalog: Catalog, offer: str, entry: SiteEntry, log: ChangeLog) -> None:
    known = catalog.site(entry.id)[0]
    wanted = Site(entry.id, offer, sha256_hex(entry.key), entry.active)
    if known == wanted:
        return
    catalog._define_site(
        id=entry.id, offer=offer, key_sha256=wanted.key_sha256, active=entry.active
    )
    if known is None:
        log.lines.append(f"added site {entry.id} of offer {offer}{switched(entry.active)}")
    elif known.offer != offer:
        log.lines.append(f"moved site {entry.id} from offer {known.offer} to offer {offer}")
    elif known.key_sha256 != wanted.key_sha256:
        log.lines.append(f"changed the key of site {entry.id} of offer {offer}")
    if known is not None and known.active != entry.active:
        state = "re-activated" if entry.active else "retired"
        log.lines.append(f"{state} site {entry.id} of offer {offer}")


def _apply_site_access(catalog: Catalog, site: SiteEntry, log: ChangeLog) -> None:
    wanted = SiteAccess(tuple(sorted(site.allowed_ips)), site.require_signature)
    if wanted == catalog.site(site.id)[1]:
        return
    catalog._set_site_access(
        site=site.id,
        allowed_ips=list(wanted.allowed_ips),
        require_signature=wanted.require_signature,
    )
    log.lines.append(
        f"set the access rules of site {site.id}: "
        f"{', '.join(wanted.allowed_ips) or 'any address'}"
        f"{', signed postbacks only' if wanted.require_signature else ''}"
    )


def apply_flows(catalog: Catalog, doc: CatalogDocument, held: CatalogView, log: ChangeLog):
    for entry in doc.flows:
        known = held.flows.get(entry.id)
        flow = Flow(entry.id, entry.code, entry.offer, entry.webmaster, entry.active)
        if known != flow:
            catalog._define_flow(
                id=flow.id,
                code=flow.code,
                offer=flow.offer,
                webmaster=flow.webmaster,
                active=flow.active,
            )
            log.lines.append(
                f"{verb(known)} flow {flow.id} ({flow.code}): offer "
                f"{flow.offer}, webmaster {flow.webmaster}{switched(flow.active)}"
            )


def apply_personal_rate(catalog: Catalog, entry: PersonalRateEntry, log: ChangeLog) -> None:
    key = (entry.webmaster, entry.offer, entry.goal)
    held = catalog.personal_rates_of(key)
    for planned in personal_plan(held, entry, log.now):
        version = len(catalog.personal_rates_of(key)) + 1
        (money,) = planned.money
        effective_from = utc(planned.effective_from)
        until = None if planned.effective_until is None else utc(planned.effective_until)
        catalog._add_personal_rate_version(
            webmaster=entry.webmaster,
            offer=entry.offer,
            goal=entry.goal,
            version=version,
            effective_from=effective_from,
            amount=money.amount,
            currency=money.currency,
            effective_until=until,
            applied_by=log.actor,
        )
        log.lines.append(
            f"personal rate of {entry.webmaster} for {entry.offer}/{entry.goal} v{version} from "
            f"{effective_from.isoformat()}"
            + (f" until {until.isoformat()}" if until else "")
            + f": {money.amount} {money.currency}"
        )
    since = first_difference(held, catalog.personal_rates_of(key))
    if since is not None:
        log.rate_changed(RetroactiveRateChange(entry.offer, entry.goal, entry.webmaster, since))


def apply_global_tokens(catalog: Catalog, doc: CatalogDocument, held: CatalogView, log):
    if doc.network is None:
        return
    digests = sorted({sha256_hex(token) for token in doc.network.global_tokens})
    if tuple(digests) != held.global_token_sha256s:
        revoked = len(set(held.global_token_sha256s) - set(digests))
        catalog._set_global_tokens(token_sha256s=digests)
        log.lines.append(
            f"set the global tokens ({len(digests)} in force"
            + (f", {revoked} revoked)" if revoked else ")")
        )
    allowed = {
        sha256_hex(token): sorted(cidrs)
        for token, cidrs in doc.network.global_token_allowed_ips.items()
    }
    if {k: tuple(v) for k, v in allowed.items()} != dict(held.global_token_allowed_ips):
        catalog._set_global_token_allowlists(allowed_ips=allowed)
        log.lines.append(f"set the address allowlists of {len(allowed)} global tokens")
