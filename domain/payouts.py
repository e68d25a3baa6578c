"""Per-lead amounts a postback sends: `pay` (in `cc`) for the advertiser, `wm` for the webmaster.

A side sent overrides the catalog's rate for that lead; a side left out keeps what it had. An
amount without `cc` is in the currency of the rate in force for the lead's offer, goal and
webmaster, and `wm` is always in the webmaster rate's currency: the ledger never converts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from domain.catalog_view import CatalogView, Goal
from domain.errors import Unprocessable
from domain.lead import Lead
from domain.lead_matching import Target
from domain.money import InvalidAmount, Money, UnknownCurrency, check_currency, parse_amount

Payout = tuple[Money | None, Money | None]
"""The advertiser's and the webmaster's amount sent for one lead; None where not sent."""


def payout_from(
    params: Mapping[str, str], catalog: CatalogView, target: Target, goal: Goal, at: datetime
) -> Payout:
    """The amounts the parameters send for a lead of this goal, priced as at `at`."""
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


def differs_from_overrides(lead: Lead, payout: Payout) -> bool:
    """Whether the payout changes an amount the lead holds: sending the same again is no change."""
    advertiser, webmaster = payout
    return (advertiser is not None and advertiser != lead.advertiser_payout_override) or (
        webmaster is not None and webmaster != lead.webmaster_commission_override
    )


def _rate_currencies(
    catalog: CatalogView, target: Target, goal: Goal, at: datetime
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
