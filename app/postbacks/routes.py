"""The postback endpoints of the AlterCPA protocol: `/api/site/click.json` and `status.json`.

Parameters are parsed from the raw query string and body (see `app.postbacks.parsing`), the
postback goes through the group-commit writer, and the answer is sent only after its commit.
The handlers answer an `ASGIResponse` of bytes msgspec encoded: Litestar sends it as it is,
without building a `Response` and converting it per request (issue 16's HTTP-path lever); the
OpenAPI still documents the 200 body (`PostbackOk`) through `responses`.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar import Controller, Request, route
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIMediaType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.response.base import ASGIResponse

from app.eventstore.application import DatabaseUnavailable
from app.eventstore.breaker import RETRY_AFTER_SECONDS
from app.openapi.errors import error_responses
from app.ops.observability import request_id_of
from app.postbacks.parsing import MAX_PARAMETERS, MAX_VALUE_LENGTH, parse_parameters
from app.postbacks.processing import CREATION, STATUS_CHANGE, PostbackRequest, PostbackResult
from app.wire import ErrorBody, PostbackOk
from domain.postback import Outcome

# Far above any real postback, so that an oversized parameter in a POST body is read, refused as
# parameter_too_long and stored, instead of being answered 413 unseen. (A query string over 64 kB
# never arrives: the HTTP server answers 414 itself.)
POSTBACK_MAX_BODY_BYTES = 1_048_576

_PARAMETERS = {
    "token": "Site token `<siteId>-<siteKey>` of the lead's offer, or a global token",
    "click": "Click id the network gave the advertiser. Name the lead with click (+exto), or "
    "with flow or code plus exto; click.json may also create a lead from flow or code alone",
    "exto": "Advertiser's own lead id; click+exto or flow+exto names one lead",
    "flow": "Numeric flow id, for leads without a click (give flow or code, not both)",
    "code": "Symbolic flow code, for leads without a click",
    "goal": "Goal id or alias of the offer; unknown: 422 `unknown_goal`",
    "status": "Status word, recognised automatically or by sta/stc/stt/sth/stw/stn; "
    "unknown: 422 `unknown_status`. status.json needs a status, goal, pay or wm",
    "sta": "Comma list of words meaning approve",
    "stc": "Comma list of words meaning cancel",
    "stt": "Comma list of words meaning trash",
    "sth": "Comma list of words meaning hold",
    "stw": "Comma list of words meaning processing",
    "stn": "Comma list of words meaning a new lead (creates it)",
    "auto": "1: a status change for an unknown lead creates it in that status",
    "pay": "Advertiser's payout for this lead, a decimal amount such as `12.50` with no more "
    "decimals than its currency has; otherwise 422 `invalid_amount`",
    "cc": "Currency of pay (ISO 4217, such as `USD`); default: the goal's advertiser rate "
    "currency; unknown: 422 `unknown_currency`",
    "wm": "Webmaster's commission for this lead, in the goal's webmaster rate currency",
}
_RULES = (
    "Parameters come in the query string, a form body or a JSON object body (a POST may mix "
    "them; a name given twice with different values is 400 `repeated_parameter`). Values are "
    f"UTF-8 text of at most {MAX_VALUE_LENGTH} characters, at most {MAX_PARAMETERS} parameters; "
    "a value that is a literal macro such as `{status}` is 422 `unsubstituted_macro`. Which "
    "parameters go together (a click, or a flow or code with exto) cannot be said in OpenAPI: "
    "see each parameter's description and the error codes."
)


@dataclass
class PostbackOperation(Operation):
    """OpenAPI for a handler that parses its own parameters: list them for the docs."""

    def __post_init__(self) -> None:
        # Litestar passes `parameters=None` (the handler declares none), so a field default
        # would never show: add the protocol's parameters (and, for a POST, its bodies) here.
        self.parameters = [*(self.parameters or []), *_protocol_parameters()]
        self.description = _RULES
        self.security = [{"siteToken": []}]
        if _is_post(self):
            self.request_body = _body()


def _is_post(operation: Operation) -> bool:
    # Litestar names one operation per method of the route: ApiSiteClickJson{Get,Post}CreateLead
    return "JsonPost" in (operation.operation_id or "")


# No parameter may hold U+001F, the separator of lead keys (refused as reserved_character).
NO_SEPARATOR = "^[^\\u001f]*$"


def _protocol_parameters() -> list[Parameter]:
    return [
        Parameter(
            name=name,
            param_in="query",
            required=False,
            description=f"{description} (or in a form or JSON body)",
            schema=Schema(
                type=OpenAPIType.STRING, max_length=MAX_VALUE_LENGTH, pattern=NO_SEPARATOR
            ),
        )
        for name, description in _PARAMETERS.items()
    ]


def _body() -> RequestBody:
    scalar = [OpenAPIType.STRING, OpenAPIType.NUMBER, OpenAPIType.BOOLEAN, OpenAPIType.NULL]
    json_value = Schema(type=scalar, max_length=MAX_VALUE_LENGTH, pattern=NO_SEPARATOR)
    form_value = Schema(type=OpenAPIType.STRING, max_length=MAX_VALUE_LENGTH, pattern=NO_SEPARATOR)
    return RequestBody(
        required=False,
        description="The same parameters as the query string, as a form or one JSON object "
        "of scalar values (numbers and booleans are read as text, null as empty)",
        content={
            "application/x-www-form-urlencoded": OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.OBJECT,
                    properties=dict.fromkeys(_PARAMETERS, form_value),
                    additional_properties=form_value,
                    max_properties=MAX_PARAMETERS,
                )
            ),
            "application/json": OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.OBJECT,
                    properties=dict.fromkeys(_PARAMETERS, json_value),
                    additional_properties=json_value,
                    max_properties=MAX_PARAMETERS,
                )
            ),
        },
    )


_ANSWERS = error_responses(
    "malformed", "invalid_encoding", "malformed_json", "parameter_too_long", "repeated_parameter",
    "too_many_parameters", "missing_parameter", "missing_token", "invalid_token",
    "token_not_for_offer", "bad_signature", "ip_not_allowed", "unknown_click", "unknown_flow",
    "unknown_offer", "lead_not_found", "ambiguous_lead", "request_too_large",
    "unsubstituted_macro", "unknown_status", "unknown_goal", "unknown_currency", "invalid_amount",
    "rate_limited", "reserved_character", "site_retired", "offer_paused", "flow_paused",
    "goal_retired",
)  # fmt: skip
_ERRORS = {
    **_ANSWERS,
    200: ResponseSpec(
        PostbackOk,
        description="Stored: the lead's id, the event's position",
        generate_examples=False,  # generated ones said "status":"zUMZozziJUhCsuKDfYRT"
        examples=[
            Example(
                summary="A lead created",
                value={
                    "status": "ok",
                    "id": "3f0c8a47-1c2e-5d7b-9a51-0e6f2b7c4d11",
                    "position": 1042,
                    "outcome": "created",
                    "ignored": False,
                },
            )  # fmt: skip
        ],
    ),
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
    async def create_lead(self, request: Request) -> ASGIResponse:
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
    async def change_status(self, request: Request) -> ASGIResponse:
        return await receive(request, STATUS_CHANGE)


async def receive(request: Request, endpoint: str) -> ASGIResponse:
    body = await request.body() if request.method == "POST" else b""
    return await handle(request, body, endpoint)


async def handle(request, body: bytes, endpoint: str) -> ASGIResponse:
    """One postback, answered after its commit: a Litestar `Request` or the fast path's
    `PostbackCall` (`app.postbacks.fast_path`), both with scope, method, headers, client, app."""
    content_type = request.headers.get("content-type", "") if body else ""
    parsed = parse_parameters(request.scope.get("query_string", b""), body, content_type)
    state = request.app.state
    services = state.services
    screened_with = services.catalog.cached() or services.catalog.current()
    refusal = await state.screen.screen(request, parsed.values, body, screened_with)
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
        signature_check=state.screen.later_signature_check(request, body),
    )
    try:
        result = await services.writer.submit(postback)
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


def answer(result: PostbackResult, headers: dict | None = None) -> ASGIResponse:
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


def json_response(body: msgspec.Struct, status: int, headers: dict | None = None) -> ASGIResponse:
    return PostbackAnswer(msgspec.json.encode(body), status, headers)


class PostbackAnswer(ASGIResponse):
    """A JSON answer sent as two ASGI messages, its headers encoded once, here.

    `ASGIResponse.__init__` builds a header structure and looks each default header up in it
    (about a tenth of the postback routes' HTTP-layer CPU, issue 27); the answer's headers are
    always the same two, plus Retry-After on a 429 or 503. Litestar sends it as it is.
    """

    __slots__ = ("_raw_headers",)

    def __init__(self, body: bytes, status: int, headers: dict | None = None) -> None:
        self.body = body
        self.status_code = status
        self.background = None
        self.is_head_response = False
        self._raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *(
                (name.lower().encode(), str(value).encode())
                for name, value in (headers or {}).items()
            ),
        ]

    def encode_headers(self) -> list[tuple[bytes, bytes]]:
        return self._raw_headers

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self._raw_headers})  # fmt: skip
        await send({"type": "http.response.body", "body": self.body, "more_body": False})
