"""The postback endpoints of the AlterCPA protocol: `/api/site/click.json` and `status.json`.

Parameters are parsed from the raw query string and body (see `app.postbacks.parsing`), the
postback goes through the group-commit writer, and the answer is sent only after its commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar import Controller, Request, Response, route
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, Parameter, Schema
from litestar.openapi.spec.enums import OpenAPIType

from app.eventstore.application import DatabaseUnavailable
from app.eventstore.breaker import RETRY_AFTER_SECONDS
from app.ops.observability import request_id_of
from app.postbacks.parsing import parse_parameters
from app.postbacks.processing import CREATION, STATUS_CHANGE, PostbackRequest, PostbackResult
from app.wire import ErrorBody, PostbackOk
from domain.postback import Outcome

# Far above any real postback, so that an oversized parameter in a POST body is read, refused as
# parameter_too_long and stored, instead of being answered 413 unseen. (A query string over 64 kB
# never arrives: the HTTP server answers 414 itself.)
POSTBACK_MAX_BODY_BYTES = 1_048_576

_PARAMETERS = {
    "token": "Site token `<siteId>-<siteKey>` of the lead's offer, or a global token",
    "click": "Click id the network gave the advertiser",
    "exto": "Advertiser's own lead id; click+exto or flow+exto names one lead",
    "flow": "Numeric flow id, for leads without a click",
    "code": "Symbolic flow code, for leads without a click",
    "goal": "Goal id or alias",
    "status": "Status word, recognised automatically or by sta/stc/stt/sth/stw/stn",
    "sta": "Comma list of words meaning approve",
    "stc": "Comma list of words meaning cancel",
    "stt": "Comma list of words meaning trash",
    "sth": "Comma list of words meaning hold",
    "stw": "Comma list of words meaning processing",
    "stn": "Comma list of words meaning a new lead (creates it)",
    "auto": "1: a status change for an unknown lead creates it in that status",
    "pay": "Advertiser's payout for this lead",
    "cc": "Currency of pay (ISO 4217); default: the goal's advertiser rate currency",
    "wm": "Webmaster's commission for this lead, in the goal's webmaster rate currency",
}


@dataclass
class PostbackOperation(Operation):
    """OpenAPI for a handler that parses its own parameters: list them for the docs."""

    def __post_init__(self) -> None:
        # Litestar passes `parameters=None` (the handler declares none), so a field default
        # would never show: add the protocol's parameters here.
        self.parameters = [*(self.parameters or []), *_protocol_parameters()]


def _protocol_parameters() -> list[Parameter]:
    return [
        Parameter(
            name=name,
            param_in="query",
            required=False,
            description=f"{description} (or in a form or JSON body)",
            schema=Schema(type=OpenAPIType.STRING),
        )
        for name, description in _PARAMETERS.items()
    ]


_ERRORS = {
    status: ResponseSpec(data_container=ErrorBody, description=description)
    for status, description in {
        400: "Malformed postback or missing parameter",
        401: "Missing or wrong token, a retired site's token (site_retired); missing, wrong or "
        "replayed signature (bad_signature)",
        404: "Unknown click, flow or lead",
        409: "The click has several leads; send exto",
        410: "A paused offer or flow, a retired goal: no new leads (offer_paused, flow_paused, "
        "goal_retired)",
        403: "The token may not send from this address (ip_not_allowed)",
        413: "Request body over 1 MiB",
        429: "Too many postbacks for this token; retry after Retry-After seconds",
        422: "Unknown status, goal or currency; bad amount; unsubstituted macro",
        503: "Database unavailable; retry after Retry-After seconds",
    }.items()
}


class PostbackController(Controller):
    """Receives advertisers' postbacks. Answers are JSON; the HTTP code says what to do next."""

    path = "/api/site"
    tags = ["postbacks"]

    @route(
        "/click.json",
        http_method=["GET", "POST"],
        operation_class=PostbackOperation,
        responses=_ERRORS,
        request_max_body_size=POSTBACK_MAX_BODY_BYTES,
        status_code=200,  # what an accepted postback answers, also to a POST
        summary="Create a lead",
    )
    async def create_lead(self, request: Request) -> Response[PostbackOk]:
        return await receive(request, CREATION)

    @route(
        "/status.json",
        http_method=["GET", "POST"],
        operation_class=PostbackOperation,
        responses=_ERRORS,
        request_max_body_size=POSTBACK_MAX_BODY_BYTES,
        status_code=200,  # what an accepted postback answers, also to a POST
        summary="Change a lead's status, goal or payout",
    )
    async def change_status(self, request: Request) -> Response[PostbackOk]:
        return await receive(request, STATUS_CHANGE)


async def receive(request: Request, endpoint: str) -> Response:
    body = await request.body() if request.method == "POST" else b""
    parsed = parse_parameters(
        request.scope.get("query_string", b""), body, request.headers.get("content-type", "")
    )
    services = request.app.state.services
    screened_with = services.catalog.cached() or services.catalog.current()
    refusal = await request.app.state.screen.screen(request, parsed.values, body, screened_with)
    postback = PostbackRequest(
        endpoint=endpoint,
        method=request.method,
        params=parsed.values,
        raw_params=parsed.recorded,
        source_ip=request.client.host if request.client else "",
        request_id=request_id_of(request),
        parse_error=refusal or parsed.error,
        screened_version=screened_with.version,
        signature_verified=request.scope.get("state", {}).get("signature_verified", False),
    )
    try:
        result = await request.app.state.services.writer.submit(postback)
    except DatabaseUnavailable:
        return json_response(
            ErrorBody("database_unavailable", "the ledger cannot store postbacks now; retry"),
            503,
            {"Retry-After": RETRY_AFTER_SECONDS},
        )
    request.scope.setdefault("state", {})["postback_outcome"] = (result.outcome, result.error)
    if refusal is not None and result.http_status == 429:
        return answer(result, {"Retry-After": str(getattr(refusal, "retry_after", 1))})
    return answer(result)


def answer(result: PostbackResult, headers: dict | None = None) -> Response:
    if result.error is not None:
        return json_response(
            ErrorBody(result.error, result.message or ""), result.http_status, headers
        )
    body = PostbackOk(
        id=str(result.lead_id),
        position=result.position,
        outcome=result.outcome,
        ignored=result.outcome == Outcome.IGNORED,
    )
    return json_response(body, 200)


def json_response(body: msgspec.Struct, status: int, headers: dict | None = None) -> Response:
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
