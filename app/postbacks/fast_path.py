"""The two postback paths answered in front of Litestar's router, through the same middleware.

Litestar's share of a postback (its router, the exception middleware, building a `Request` and
its `Headers`, the handler's signature model and response checks) was about 40% of the
postback routes' HTTP-layer CPU in a profile of `benchmark.http_cpu` (issue 27). A GET or POST
to exactly `/api/site/click.json` or `/api/site/status.json` is therefore answered here, by
`app.postbacks.routes.handle` (the code the Litestar routes run too), wrapped in the very
middleware the app declares (draining, request ids and metrics, the database gate), with the
app's own exception handlers. Everything else goes to Litestar as before; the Litestar routes stay
registered, so the OpenAPI document is unchanged and any other method or spelling of the paths
is routed by Litestar (405, a trailing slash).
"""

from __future__ import annotations

from litestar import Litestar, Request
from litestar.datastructures import Address
from litestar.exceptions import ClientException, InternalServerException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.middleware._internal.exceptions.middleware import get_exception_handler
from litestar.types import ASGIApp, Receive, Scope, Send

from app.postbacks.processing import CREATION, STATUS_CHANGE
from app.postbacks.routes import POSTBACK_MAX_BODY_BYTES, handle

ENDPOINTS = {"/api/site/click.json": CREATION, "/api/site/status.json": STATUS_CHANGE}
METHODS = ("GET", "POST")


class PostbackCall:
    """What `handle` reads of a request, taken from the ASGI scope without Litestar's objects.

    `headers` holds the first value of each header by its lower-case name (ASGI servers give
    names in lower case), as Litestar's `Headers.get` answers.
    """

    __slots__ = ("scope", "method", "headers", "client", "app")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.method = scope["method"]
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", ()):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        self.headers = headers
        client = scope.get("client")
        self.client = Address(*client) if client else None
        self.app = scope["app"]


def postback_fast_path(app: Litestar, middleware: list) -> None:
    """Put the postback paths in front of `app`'s router, wrapped in `middleware` (outermost
    first, as `Litestar(middleware=...)` takes them)."""
    served: ASGIApp = _serve
    for wrap in reversed(middleware):
        served = wrap(served)
    routed = app.asgi_handler

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ENDPOINTS and scope["method"] in METHODS:
            await served(scope, receive, send)
        else:
            await routed(scope, receive, send)

    dispatch.routed = routed  # type: ignore[attr-defined]  # Litestar's, for benchmark.http_cpu
    app.asgi_handler = dispatch


async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
    call = PostbackCall(scope)
    try:
        body = await read_body(call, receive) if call.method == "POST" else b""
        response = await handle(call, body, ENDPOINTS[scope["path"]])
    except Exception as error:  # answered by the app's handler, as inside Litestar's routes
        await _answer_error(scope, receive, send, error)
        return
    await response(scope, receive, send)


async def read_body(call: PostbackCall, receive: Receive) -> bytes:
    """The whole body, at most `POSTBACK_MAX_BODY_BYTES` (413 beyond), as Litestar reads it."""
    announced = call.headers.get("content-length")
    if announced is not None:
        try:
            too_large = int(announced) > POSTBACK_MAX_BODY_BYTES
        except ValueError:
            raise ClientException(f"Invalid content-length: {announced!r}") from None
        if too_large:
            raise RequestEntityTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > POSTBACK_MAX_BODY_BYTES:
                    raise RequestEntityTooLarge
                chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise InternalServerException("client disconnected prematurely")


async def _answer_error(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    app: Litestar = scope["app"]
    handler = get_exception_handler(app.exception_handlers, error)
    if handler is None:
        raise error
    request = Request(scope, receive)
    response = handler(request, error)
    await response.to_asgi_response(app=None, request=request, type_encoders=app.type_encoders)(
        scope, receive, send
    )
