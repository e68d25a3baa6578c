"""Per-request bookkeeping: the request id, its echo header, metrics and the access log line.

The id comes from the sender's `X-Request-Id` when it is a sane token (at most 128 characters of
letters, digits and `._:-`), else a fresh one; it is echoed in the response, set on every log
record of the request, and stored with the postback. Postbacks get one JSON log line each with
their outcome (accepted ones at DEBUG, see `_log_level`); the token and the parameters are never
logged.
"""

from __future__ import annotations

import logging
import re
import time

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.logs import REQUEST_ID
from app.ops.metrics import Metrics
from domain.identity import time_ordered_id

access_log = logging.getLogger("postback_ledger.access")
_SANE_ID = re.compile(r"\A[A-Za-z0-9._:\-]{1,128}\Z")
_POSTBACK_PATHS = {"/api/site/click.json": "click", "/api/site/status.json": "status"}


def request_id_of(request: Request) -> str:
    state = request.scope.get("state", {})
    return state.get("request_id") or _request_id(request.headers.get("x-request-id"))


def _request_id(presented: str | None) -> str:
    if presented and _SANE_ID.match(presented):
        return presented
    return time_ordered_id().hex


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _route_group(path: str) -> str:
    """A low-cardinality label: the postback endpoints by name, the rest by first segments."""
    if path in _POSTBACK_PATHS:
        return path
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:2]) if parts[0] in ("api", "health") else "/" + parts[0][:20]


def observe_requests(metrics: Metrics):
    """ASGI middleware factory: request id, metrics and the postback access log."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def observed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            request_id = _request_id(_header(scope, b"x-request-id"))
            scope.setdefault("state", {})["request_id"] = request_id  # type: ignore[typeddict-item]
            token = REQUEST_ID.set(request_id)
            started = time.perf_counter()
            status = 500

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((b"x-request-id", request_id.encode()))
                    message["headers"] = headers  # type: ignore[typeddict-item]
                await send(message)

            try:
                await app(scope, receive, send_with_id)
            finally:
                _record(metrics, scope, status, time.perf_counter() - started)
                REQUEST_ID.reset(token)

        return observed

    return middleware


def _record(metrics: Metrics, scope: Scope, status: int, seconds: float) -> None:
    path = scope.get("path", "")
    metrics.observe_request(_route_group(path), status, seconds)
    endpoint = _POSTBACK_PATHS.get(path)
    if endpoint is None:
        return
    outcome, error = scope.get("state", {}).get("postback_outcome", ("rejected", f"http_{status}"))
    if status == 503:
        outcome, error = "unavailable", "database_unavailable"
    metrics.observe_postback(endpoint, outcome, error)
    level = _log_level(status)
    if not access_log.isEnabledFor(level):
        return
    access_log.log(
        level,
        "postback answered",
        extra={
            "endpoint": endpoint,
            "method": scope.get("method"),
            "status": status,
            "outcome": outcome,
            "error": error,
            "duration_ms": round(seconds * 1000, 2),
            "client": (scope.get("client") or ("", 0))[0],
        },
    )


def _log_level(status: int) -> int:
    """Accepted postbacks at DEBUG, refused ones at INFO, unavailability at WARNING.

    Every postback, accepted or not, is stored with its request id and outcome (the postback
    log), and counted in /metrics. A line per accepted postback at thousands a second would
    cost a tenth of a worker's time and bury the lines that need a reader.
    """
    if status < 400:
        return logging.DEBUG
    return logging.WARNING if status >= 500 else logging.INFO
