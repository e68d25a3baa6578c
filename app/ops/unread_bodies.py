"""Reads what is left of a request's body after the application answered without it.

granian (hyper) closes a kept-alive connection after an answer whose request body was left
unread, without saying so (no `Connection: close`); a client that wrote its next request on
it in that instant loses it, closed without an answer. Answers given before the body is read
are ordinary: a guard's 401 on an admin POST, a 404 for an unknown id, a route refusing early.
This ASGI middleware reads and drops the rest (up to `DRAIN_BYTES`) once the application is
done, so the connection stays usable. The database gate reads a refused body itself, before
its 503 (`app.ops.database_gate`), where it can still say `Connection: close` for a long one.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.database_gate import DRAIN_BYTES

_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def drain_unread_bodies(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: after the application, read the body it did not (bounded)."""

    async def draining(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _WITHOUT_BODY:
            await app(scope, receive, send)
            return
        ended = False

        async def receive_noting_the_end() -> Message:
            nonlocal ended
            message = await receive()
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await app(scope, receive_noting_the_end, send)
        if not ended:
            await _drop_rest(receive)

    return draining


async def _drop_rest(receive: Receive) -> None:
    read = 0
    while read <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        read += len(message.get("body", b""))
