"""Click tracking: `GET /go/{flow}` records a click and redirects to the offer's landing page.

A paused flow or offer takes no new clicks: the link answers a 410 page. The click is saved only
if the catalog is still at the version that let it through (`app.eventstore.recorder`), so a
pause applied anywhere is in force for every click saved after it.
"""

from __future__ import annotations

import html
import secrets

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from app.eventstore.breaker import RETRY_AFTER_SECONDS
from app.eventstore.recorder import CatalogMoved
from projections.eventlog.store import DATABASE_DOWN_ERRORS

CLICK_ID_BYTES = 16  # 128 random bits, URL-safe: unguessable, so clicks cannot be forged
_CATALOG_RETRIES = 5


class ClickController(Controller):
    """The tracking link a webmaster's traffic follows."""

    path = "/go"
    tags = ["clicks"]

    @get("/{flow_ref:str}", sync_to_thread=True, summary="Record a click and redirect")
    def follow(
        self,
        request: Request,
        flow_ref: FromPath[str],
        sub1: FromQuery[str | None] = None,
        sub2: FromQuery[str | None] = None,
        sub3: FromQuery[str | None] = None,
        sub4: FromQuery[str | None] = None,
        sub5: FromQuery[str | None] = None,
    ) -> Response:
        subs = {k: v for k, v in zip(_SUBS, (sub1, sub2, sub3, sub4, sub5), strict=True) if v}
        try:
            for _ in range(_CATALOG_RETRIES):
                try:
                    return _follow(request, flow_ref, subs)
                except CatalogMoved:
                    request.app.state.services.catalog.refresh()
            raise CatalogMoved("the catalog kept changing")
        except (CatalogMoved, *DATABASE_DOWN_ERRORS):
            return Response(
                "Temporarily unavailable, please retry.",
                status_code=503,
                media_type="text/plain",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )


def _follow(request: Request, flow_ref: str, subs: dict[str, str]) -> Response:
    services = request.app.state.services
    catalog = services.catalog.current()
    if catalog.flow(flow_ref) is None:
        catalog = services.catalog.refresh(min_interval=0.5)
    flow = catalog.flow(flow_ref)
    if flow is None:
        return _page(404, "Link not found", f"This tracking link ({flow_ref[:60]}) does not exist.")
    offer = catalog.offers[flow.offer]
    if not (flow.active and offer.active):
        return _page(410, "Offer paused", "This offer takes no new visitors at the moment.")
    click = secrets.token_urlsafe(CLICK_ID_BYTES)
    services.ledger.record_click(
        click=click,
        flow=flow.id,
        offer=offer.id,
        webmaster=flow.webmaster,
        ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", "")[:512],
        subs={k: v[:512] for k, v in subs.items()},
        catalog_version=catalog.version,
    )
    return Redirect(offer.landing_for(click), status_code=302)


_SUBS = ("sub1", "sub2", "sub3", "sub4", "sub5")


def _page(status: int, title: str, text: str) -> Response:
    return Response(
        f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{html.escape(text)}</p>",
        status_code=status,
        media_type="text/html",
    )
