"""Click tracking: `GET /go/{flow}` records a click and redirects to the offer's landing page.

A paused flow or offer takes no new clicks: the link answers a 410 page. The click is saved only
if the catalog is still at the version that let it through (`app.eventstore.recorder`), so a
pause applied anywhere is in force for every click saved after it.

With the database down the click cannot be recorded now. A visitor is a person following a link,
and the landing page is the advertiser's, not ours: when the worker's cached catalog knows the
flow, the visitor is still sent on at once, and the click is recorded when the database is back
(`app.postbacks.deferred_clicks`). A link the cache does not know (it could be a new flow, or
none) gets a 503 page with Retry-After that reloads the same link by itself.
"""

from __future__ import annotations

import secrets

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from app.eventstore.application import DatabaseUnavailable
from app.eventstore.breaker import RETRY_AFTER_SECONDS, means_database_down
from app.eventstore.recorder import CatalogMoved
from app.openapi.errors import error_responses
from projections.eventlog.store import DATABASE_DOWN_ERRORS

CLICK_ID_BYTES = 16  # 128 random bits, URL-safe: unguessable, so clicks cannot be forged
_CATALOG_RETRIES = 5


def _page_spec(description: str) -> ResponseSpec:
    """A response for the visitor's browser, not JSON."""
    return ResponseSpec(str, False, description, "text/html")


class ClickController(Controller):
    """The tracking link a webmaster's traffic follows."""

    path = "/go"
    tags = ["clicks"]

    @get(
        "/{flow_ref:str}",
        sync_to_thread=True,
        summary="Record a click and redirect",
        description="Answers 302 to the offer's landing page with `click=<id>` added: a "
        "browser follows it. An unknown flow is a 404 HTML page for the visitor, a paused one "
        "a 410 page. With the database down, a flow this worker knows still redirects (the "
        "click is recorded when the database is back).",
        status_code=302,
        response_description="To the offer's landing page, with the new click id",
        responses={
            **error_responses(),
            404: _page_spec("Unknown flow: a page for the visitor"),
            410: _page_spec("The flow or its offer is paused: a page for the visitor"),
            503: _page_spec(
                "Database unavailable and the flow not in this worker's catalog, or the catalog "
                "changing: a page that reloads itself after `Retry-After` s"
            ),
        },
    )
    def follow(
        self,
        request: Request,
        flow_ref: FromPath[str],
        sub1: FromQuery[str | None] = None,
        sub2: FromQuery[str | None] = None,
        sub3: FromQuery[str | None] = None,
        sub4: FromQuery[str | None] = None,
        sub5: FromQuery[str | None] = None,
    ) -> Redirect:
        services = request.app.state.services
        subs = {k: v for k, v in zip(_SUBS, (sub1, sub2, sub3, sub4, sub5), strict=True) if v}
        visit = {
            "ip": request.client.host if request.client else "",
            "user_agent": request.headers.get("user-agent", "")[:512],
            "subs": {k: v[:512] for k, v in subs.items()},
        }
        if not services.breaker.is_open:
            try:
                return _recorded_under_current_catalog(services, flow_ref, visit)
            except (*DATABASE_DOWN_ERRORS, DatabaseUnavailable) as error:
                if means_database_down(error):
                    services.breaker.trip(error)
        return _sent_on_without_database(services, flow_ref, visit)


_SUBS = ("sub1", "sub2", "sub3", "sub4", "sub5")


def _recorded_under_current_catalog(services, flow_ref: str, visit: dict) -> Response:
    for _ in range(_CATALOG_RETRIES):
        try:
            return _recorded(services, flow_ref, visit)
        except CatalogMoved:
            services.catalog.refresh()
    return _page(503, "One moment", "The network's settings are changing; please retry.")


def _recorded(services, flow_ref: str, visit: dict) -> Response:
    catalog = services.catalog.current()
    if catalog.flow(flow_ref) is None:
        catalog = services.catalog.refresh(min_interval=0.5)
    flow = catalog.flow(flow_ref)
    if flow is None:
        return _not_found(flow_ref)
    offer = catalog.offers[flow.offer]
    if not (flow.active and offer.active):
        return _page(410, "Offer paused", "This offer takes no new visitors at the moment.")
    click = secrets.token_urlsafe(CLICK_ID_BYTES)
    services.ledger.record_click(
        click=click,
        flow=flow.id,
        offer=offer.id,
        webmaster=flow.webmaster,
        catalog_version=catalog.version,
        **visit,
    )
    if len(services.deferred_clicks):
        services.deferred_clicks.record()
    return Redirect(offer.landing_for(click), status_code=302)


def _sent_on_without_database(services, flow_ref: str, visit: dict) -> Response:
    """The flow known from the cached catalog: on to the landing page, the click kept to record
    later (app.postbacks.deferred_clicks); otherwise a page that retries by itself."""
    catalog = services.catalog.cached()
    flow = catalog.flow(flow_ref) if catalog is not None else None
    offer = catalog.offers.get(flow.offer) if catalog is not None and flow is not None else None
    if offer is not None and not (flow.active and offer.active):
        return _page(410, "Offer paused", "This offer takes no new visitors at the moment.")
    if offer is None:
        return Response(
            f'<!doctype html><meta http-equiv="refresh" content="{RETRY_AFTER_SECONDS}">'
            "<title>One moment</title><h1>One moment, please</h1>"
            "<p>This page reloads by itself in a few seconds.</p>",
            status_code=503,
            media_type="text/html",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    click = secrets.token_urlsafe(CLICK_ID_BYTES)
    services.deferred_clicks.add(
        click=click, flow=flow.id, offer=offer.id, webmaster=flow.webmaster, **visit
    )
    return Redirect(offer.landing_for(click), status_code=302)


def _page(status: int, title: str, text: str) -> Response:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return Response(
        f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{_escape(text)}</p>",
        status_code=status,
        media_type="text/html",
        headers=headers,
    )


def _not_found(flow_ref: str) -> Response:
    return Response(
        f"<!doctype html><title>Link not found</title><h1>Link not found</h1>"
        f"<p>This tracking link ({_escape(flow_ref[:60])}) does not exist.</p>",
        status_code=404,
        media_type="text/html",
    )


def _escape(text: str) -> str:
    import html

    return html.escape(text)
