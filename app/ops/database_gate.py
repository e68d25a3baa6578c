"""Every HTTP request is bounded while PostgreSQL is down: a 503 within a second, not 30 s.

Without it a request reading the event store waited out eventsourcing's retries (ten attempts,
each waiting up to the pool's timeout for a connection that cannot come): about 30 s with the
database down. This ASGI middleware runs each request inside the service's `DatabaseBreaker`
(`app.eventstore.breaker`): its database calls may wait a second at most, and a failure opens the
breaker. While the breaker is open, requests that need the database are answered 503 with
Retry-After at once, without touching it; the breaker's probe closes it within a second of the
database answering again.

Left to answer by themselves: the API docs and static files (no database), the liveness and
readiness probes and the metrics (they say "not ready" / "database down" themselves), and
`/go/{flow}`, which still sends the visitor on where it can (`app.postbacks.clicks`).
"""

from __future__ import annotations

import html

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

from app.eventstore.breaker import RETRY_AFTER_SECONDS
from app.wire import ErrorBody

OPEN_PATHS = ("/schema", "/health/", "/metrics", "/support/static/", "/support/login", "/go/")
MESSAGE = "the database is unavailable; retry"


def database_gate(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: bound each request's database time; refuse at once while it is down."""

    async def gated(scope: Scope, receive: Receive, send: Send) -> None:
        breaker = _breaker_of(scope) if scope["type"] == "http" else None
        if breaker is None:
            await app(scope, receive, send)
        elif breaker.is_open and not scope["path"].startswith(OPEN_PATHS):
            await _refuse(scope, send)
        else:
            with breaker.request():
                await app(scope, receive, send)

    return gated


def _breaker_of(scope: Scope):
    services = getattr(scope["app"].state, "services", None)
    return getattr(services, "breaker", None)


async def _refuse(scope: Scope, send: Send) -> None:
    if scope["path"].startswith("/support"):
        body = _page().encode()
        media_type = b"text/html; charset=utf-8"
    else:
        body = msgspec.json.encode(ErrorBody("database_unavailable", MESSAGE))
        media_type = b"application/json"
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", RETRY_AFTER_SECONDS.encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _page() -> str:
    return (
        f'<!doctype html><meta http-equiv="refresh" content="{RETRY_AFTER_SECONDS}">'
        "<title>Database unavailable</title><h1>The ledger's database is unavailable</h1>"
        f"<p>{html.escape(MESSAGE)}: this page reloads by itself.</p>"
    )
