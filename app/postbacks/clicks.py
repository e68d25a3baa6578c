"""Click tracking: `GET /go/{flow}` records a click and redirects to the offer's landing page."""

from __future__ import annotations

import secrets

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from app.eventstore.breaker import RETRY_AFTER_SECONDS
from app.openapi.errors import error_responses
from projections.eventlog.store import DATABASE_DOWN_ERRORS

CLICK_ID_BYTES = 16  # 128 random bits, URL-safe: unguessable, so clicks cannot be forged


def _page(description: str, media_type: str) -> ResponseSpec:
    """A response for the visitor's browser, not JSON."""
    return ResponseSpec(str, False, description, media_type)


class ClickController(Controller):
    """The tracking link a webmaster's traffic follows."""

    path = "/go"
    tags = ["clicks"]

    @get(
        "/{flow_ref:str}",
        sync_to_thread=True,
        summary="Record a click and redirect",
        description="Answers 302 to the offer's landing page with `click=<id>` added: a "
        "browser follows it. An unknown flow is a 404 HTML page for the visitor.",
        status_code=302,
        response_description="To the offer's landing page, with the new click id",
        responses={
            **error_responses(),
            404: _page("Unknown flow: a page for the visitor", "text/html"),
            503: _page("Database unavailable: retry after `Retry-After` s", "text/plain"),
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
        try:
            catalog = services.catalog.current()
            flow = catalog.flow(flow_ref) or services.catalog.refresh(min_interval=0.5).flow(
                flow_ref
            )
            if flow is None:
                return _not_found(flow_ref)
            offer = catalog.offers.get(flow.offer) or services.catalog.current().offers[flow.offer]
            click = secrets.token_urlsafe(CLICK_ID_BYTES)
            subs = {k: v for k, v in zip(_SUBS, (sub1, sub2, sub3, sub4, sub5), strict=True) if v}
            services.ledger.record_click(
                click=click,
                flow=flow.id,
                offer=offer.id,
                webmaster=flow.webmaster,
                ip=request.client.host if request.client else "",
                user_agent=request.headers.get("user-agent", "")[:512],
                subs={k: v[:512] for k, v in subs.items()},
            )
        except DATABASE_DOWN_ERRORS:
            return Response(
                "Temporarily unavailable, please retry.",
                status_code=503,
                media_type="text/plain",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        return Redirect(offer.landing_for(click), status_code=302)


def _page(description: str, media_type: str) -> ResponseSpec:
    return ResponseSpec(
        str, generate_examples=False, description=description, media_type=media_type
    )


_SUBS = ("sub1", "sub2", "sub3", "sub4", "sub5")


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
