"""The support page's Rates view: the rate history of the catalog, filtered like the API's
`GET /api/catalog/rates` (offer, goal, webmaster), one table per goal or personal rate."""

from __future__ import annotations

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
            "histories": rate_histories(catalog, **filters),
        }
        return Template("rates.html", context=context)
