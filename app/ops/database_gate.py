"""Every HTTP request is bounded while PostgreSQL is down: a 503 within a second, not 30 s.

Without it a request reading the event store waited out eventsourcing's retries (ten attempts,
each waiting up to the pool's timeout for a connection that cannot come): about 30 s with the
database down. This ASGI middleware runs each request inside the service's `DatabaseBreaker`
(`app.eventstore.breaker`): its database calls may wait a second at most, and a failure opens the
breaker. While the breaker is open, requests that need the database are answered 503 with
Retry-After at once, without touching it; the breaker's probe closes it within a second of the
database answering again.

A refusal reads the request's body before it answers. Answered with its body unread, a request
left granian (hyper) to close the kept-alive connection after the answer, silently (no
`Connection: close`): 31 of 50 postbacks refused in a row each cost the client a new connection,
and a client that wrote its next request on the connection in the instant before the close lost
it, closed without an answer (the failover test's "connection cut at the kill", about one run in
ten; `tests/faults/test_kept_alive_connections.py`). A body beyond `DRAIN_BYTES` is left unread
and the answer says `Connection: close`, so the client does not reuse the connection.

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
DRAIN_BYTES = 1_048_576  # a postback's own limit (POSTBACK_MAX_BODY_BYTES): read, then refuse


def database_gate(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: bound each request's database time; refuse at once while it is down."""

    async def gated(scope: Scope, receive: Receive, send: Send) -> None:
        breaker = _breaker_of(scope) if scope["type"] == "http" else None
        if breaker is None:
            await app(scope, receive, send)
        elif breaker.is_open and not scope["path"].startswith(OPEN_PATHS):
            body_read = await _read_body(receive)
            await _refuse(scope, send, keep_alive=body_read)
        else:
            with breaker.request():
                await app(scope, receive, send)

    return gated


def _breaker_of(scope: Scope):
    services = getattr(scope["app"].state, "services", None)
    return getattr(services, "breaker", None)


async def _read_body(receive: Receive) -> bool:
    """Read the request's body and drop it: True once all of it came, False when too long."""
    read = 0
    while read <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return False  # the client went away
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


async def _refuse(scope: Scope, send: Send, keep_alive: bool = True) -> None:
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
    if not keep_alive:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _page() -> str:
    return (
        f'<!doctype html><meta http-equiv="refresh" content="{RETRY_AFTER_SECONDS}">'
        "<title>Database unavailable</title><h1>The ledger's database is unavailable</h1>"
        f"<p>{html.escape(MESSAGE)}: this page reloads by itself.</p>"
    )
