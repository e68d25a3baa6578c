"""`GET /api/catalog/rates`: every version of the commission rates, as the catalog holds them.

For each goal (and each webmaster's personal rate) matching the filters: every version ever
added, its amounts, `effective_from`/`effective_until`, when it was applied and by which admin
token's name, and the version that superseded it (`domain.rate_history`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import ValidationException
from litestar.params import FromQuery

from app.auth import require_admin
from app.openapi.errors import ADMIN_ROUTE, error_responses
from domain.rate_history import rate_histories


class RateVersionOut(msgspec.Struct):
    """One version of a rate; `advertiser` is absent from personal rates (webmaster side only)."""

    version: int
    webmaster: str
    effective_from: str
    effective_until: str | None
    applied_at: str | None
    applied_by: str | None
    superseded_by: int | None
    advertiser: str | None = None


class RateHistoryOut(msgspec.Struct):
    """The versions of one goal's rates (`webmaster` null) or of one personal rate."""

    offer: str
    goal: str
    webmaster: str | None
    versions: list[RateVersionOut]


class RatesOut(msgspec.Struct):
    catalog_version: int
    rates: list[RateHistoryOut]


class CatalogRatesController(Controller):
    """The rate history of the catalog (admin token)."""

    path = "/api/catalog"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["admin"]

    @get(
        "/rates",
        sync_to_thread=True,
        summary="Every version of the rates, with its history",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def rates(
        self,
        request: Request,
        offer: FromQuery[str] = "",
        goal: FromQuery[str] = "",
        webmaster: FromQuery[str] = "",
    ) -> RatesOut:
        if "\x00" in offer + goal + webmaster:
            raise ValidationException("offer, goal and webmaster cannot hold a NUL character")
        catalog = request.app.state.services.catalog.refresh()
        found = rate_histories(catalog, offer.strip(), goal.strip(), webmaster.strip())
        return RatesOut(catalog.version, [_history_out(history) for history in found])


def _history_out(history: dict[str, Any]) -> RateHistoryOut:
    versions = [msgspec.convert(line, RateVersionOut) for line in history["versions"]]
    return RateHistoryOut(history["offer"], history["goal"], history["webmaster"], versions)
