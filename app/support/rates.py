"""The support page's Rates view: the rate history of the catalog, filtered like the API's
`GET /api/catalog/rates` (offer, goal, webmaster), one table per goal or personal rate."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, get
from litestar.response import Template

from domain.rate_history import rate_histories


class RatesPage(Controller):
    """`/support/rates`, behind the same login as the other support pages."""

    path = "/support"
    include_in_schema = False

    @get("/rates", sync_to_thread=True)
    def rates(self, request: Request) -> Template:
        filters = {
            name: request.query_params.get(name, "").strip()
            for name in ("offer", "goal", "webmaster")
        }
        catalog = request.app.state.services.catalog.refresh()
        context = {
            "admin": request.scope.get("admin_name"),
            "notice": None,
            "path": request.url.path,
            "filters": filters,
            "catalog_version": catalog.version,
            "histories": [_readable(h) for h in rate_histories(catalog, **filters)],
        }
        return Template("rates.html", context=context)


TIMES = ("effective_from", "effective_until", "applied_at")


def _readable(history: dict) -> dict:
    """The history with its times as the other pages show them: UTC, to the second, no "T"."""
    versions = [
        {**version, **{key: _moment(version.get(key)) for key in TIMES}}
        for version in history["versions"]
    ]
    return {**history, "versions": versions}


def _moment(iso: str | None) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M:%S}" if iso else ""
