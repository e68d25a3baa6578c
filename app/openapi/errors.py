"""Every error code the API answers, and `error_responses(...)`: the `responses=` of a route.

All refusals share one shape, `{"status": "error", "error": CODE, "message": …}` (`ErrorBody`).
A route lists the codes it answers; the helper groups them by HTTP status, describes each and
gives one example per code, so that the served document says which codes an endpoint answers and
a generated client can branch on `error`. A code that is not in `ERROR_CODES` is a mistake the
helper refuses at import time, and the schemathesis test fails on any code an endpoint answers
that its route did not list (tests/ops/test_openapi_conformance.py).

    @get("/{lead_id:uuid}", responses=error_responses(*ADMIN_READ, "not_found"))
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from app.wire import ErrorBody

# code -> (HTTP status, what it means). Codes are part of the wire contract: never rename one.
ERROR_CODES: dict[str, tuple[int, str]] = {
    # Any route (app/main.py's exception handlers)
    "bad_request": (400, "a parameter value is not one the endpoint accepts (see the message)"),
    "invalid_parameter": (400, "a parameter does not match its documented type or range"),
    "unauthorized": (401, "an admin token is required: `Authorization: Bearer <token>`"),
    "not_found": (404, "nothing with this id"),
    "forbidden": (403, "not allowed"),
    "method_not_allowed": (405, "the path does not answer this method; see `Allow`"),
    "conflict": (409, "the request conflicts with the current state (see the message)"),
    "request_too_large": (413, "the request body is over the endpoint's limit"),
    "unprocessable": (422, "the body is well-formed but its content is refused"),
    "database_unavailable": (503, "the database is unavailable; retry after `Retry-After` s"),
    "internal_error": (500, "a bug, logged with the request id; never expected"),
    # Postbacks (domain/errors.py and the checks of app/postbacks)
    "malformed": (400, "the request cannot be read as a postback"),
    "invalid_encoding": (400, "a parameter is not UTF-8 text, or holds a NUL character"),
    "malformed_json": (400, "a JSON body that is not one object of scalar values"),
    "parameter_too_long": (400, "a parameter value over 2048 characters"),
    "repeated_parameter": (400, "a parameter given twice with different values"),
    "too_many_parameters": (400, "more than 100 parameters"),
    "missing_parameter": (400, "no click (or flow/code with exto), or nothing to change"),
    "missing_token": (401, "no `token` parameter"),
    "invalid_token": (401, "not a site token or global token of this network"),
    "token_not_for_offer": (401, "the site token is not a token of the lead's offer"),
    "bad_signature": (401, "the site signs its postbacks; the signature is missing or wrong"),
    "ip_not_allowed": (403, "the token may not send from this address"),
    "unknown_click": (404, "no such click"),
    "unknown_flow": (404, "no such flow or flow code"),
    "unknown_offer": (404, "the flow's offer is not in the catalog"),
    "lead_not_found": (404, "no lead matches this postback"),
    "ambiguous_lead": (409, "the click has several leads; send exto"),
    "unsubstituted_macro": (422, "a value is a literal macro such as `{status}`"),
    "unknown_status": (422, "the status word is not recognised"),
    "unknown_goal": (422, "not a goal or goal alias of the offer"),
    "unknown_currency": (422, "not an ISO 4217 currency"),
    "invalid_amount": (422, "pay or wm is not an amount in the currency"),
    "rate_limited": (429, "too many postbacks for this token; retry after `Retry-After` s"),
    "reserved_character": (400, "a parameter holds U+001F, the separator of lead keys"),
    "site_retired": (401, "the site is retired (`active = false`): its token is refused"),
    "offer_paused": (410, "the offer is paused: no new leads; its leads keep settling"),
    "flow_paused": (410, "the flow is paused: no new leads; its leads keep settling"),
    "goal_retired": (410, "the goal is retired: no new leads for it"),
    # Reconciliations (app/reconciliation): a refused statement names its line and column too
    "duplicated_column": (400, "the statement's header names a column twice"),
    "empty_statement": (400, "the statement has no header or no line"),
    "invalid_mapping": (400, "the mapping is not `field:Column,…` of known fields"),
    "invalid_time": (400, "a time in the statement is not ISO 8601"),
    "malformed_csv": (400, "the statement is not CSV (quoting)"),
    "missing_column": (400, "a required column (exto or click, status or amount) is missing"),
    "missing_currency": (400, "an amount without a currency column or mapping"),
    "no_lead_key": (400, "a line names no exto and no click"),
    "statement_too_large": (413, "the statement is over LEDGER_STATEMENT_MAX_BYTES"),
    "line_by_line": (400, "only_in_statement lines create leads only when accepted line by line"),
    "not_settleable": (400, "this class of lines cannot be accepted"),
    "refused_statement": (400, "the statement was refused: nothing to accept"),
    "advertiser_busy": (409, "an upload or accept of this advertiser runs; `running_id` names it"),
    "reconciliation_cancelled": (409, "the upload was cancelled before it was stored"),
    "dry_run_required": (409, "only_in_ledger lines cancel leads only after a dry run of them"),
    "gone": (410, "switched off in the catalog (the default of paused and retired refusals)"),
}

# Every route answers these; admin routes also 401.
ANY_ROUTE = ("invalid_parameter", "database_unavailable")
ADMIN_ROUTE = (*ANY_ROUTE, "unauthorized")


def error_responses(*codes: str, at: dict[str, int] | None = None) -> dict[int, ResponseSpec]:
    """`responses=` for a route that answers `codes` (plus `ANY_ROUTE`'s), grouped by status.

    `at` names the codes this route answers with another status than their usual one (a
    statement's bad amount is a 400 of the upload, not a postback's 422)."""
    unknown = sorted(set(codes) - ERROR_CODES.keys())
    if unknown:
        raise ValueError(f"add {unknown} to app.openapi.errors.ERROR_CODES first")
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys((*ANY_ROUTE, *codes)):
        status = (at or {}).get(code, ERROR_CODES[code][0])
        by_status.setdefault(status, []).append(code)
    return {status: _response(found) for status, found in sorted(by_status.items())}


def _response(codes: Iterable[str]) -> ResponseSpec:
    codes = list(codes)
    return ResponseSpec(
        data_container=ErrorBody,
        generate_examples=False,
        description="; ".join(f"`{code}`: {ERROR_CODES[code][1]}" for code in codes),
        examples=[
            Example(
                id=code,
                summary=code,
                value={"status": "error", "error": code, "message": ERROR_CODES[code][1]},
            )
            for code in codes
        ],
    )


def documented_codes(operation: dict) -> dict[str, set[str]]:
    """{HTTP status: the error codes listed for it} of one operation of the served document."""
    found: dict[str, set[str]] = {}
    for status, response in operation.get("responses", {}).items():
        examples = response.get("content", {}).get("application/json", {}).get("examples", {})
        codes = {e["value"]["error"] for e in examples.values() if "error" in e.get("value", {})}
        if codes:
            found[status] = codes
    return found
