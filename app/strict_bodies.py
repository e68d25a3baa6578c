"""JSON request bodies read strictly, for every route at once.

Litestar converts a route's `data` with msgspec in lax mode, which takes `0`, `1`, `"true"` or
`"false"` for a boolean and `"2"` for a number: `"dry_run": 0` ran a real rebuild, and the
OpenAPI document (`"type": "boolean"`) said otherwise. Before a route that takes a JSON body runs
(after its guards), `strict_json_body` decodes the body once more with msgspec in strict mode,
against the very type the route declares; a value that is not of its declared type is answered
400 `invalid_parameter` (the service's error shape, through `app.main.validation_error`) and the
route does not run. A body that is no JSON at all is left to Litestar, which answers as before.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import BodyKwarg


async def strict_json_body(request: Request) -> None:
    """Litestar's `before_request` hook: refuse a JSON body that is not exactly its type."""
    decoder = _strict_decoder(request.route_handler)
    if decoder is None:
        return None
    raw = await request.body()  # kept by the request: the route reads the same bytes
    if not raw.strip():
        return None
    try:
        decoder.decode(raw)
    except msgspec.ValidationError as wrong:
        message, _, where = str(wrong).partition(" - at ")
        key = where.strip("`") or "$"
        raise ValidationException(
            f"{key}: {message}", extra=[{"key": key, "message": message, "source": "body"}]
        ) from wrong
    except msgspec.DecodeError:
        return None  # not JSON: Litestar says so, as it always did
    return None


def _strict_decoder(handler: Any) -> msgspec.json.Decoder | None:
    """Built per request, not cached: a few microseconds, and only for routes with a typed
    JSON body (admin calls). A cache keyed by id(handler) once served another app's handler
    whose id had been reused, in a test run that builds many apps."""
    parameters = getattr(handler, "parsed_fn_signature", None)
    field = parameters.parameters.get("data") if parameters else None
    if field is None:
        return None
    kind = field.kwarg_definition
    if isinstance(kind, BodyKwarg) and kind.media_type != RequestEncodingType.JSON:
        return None  # a form or a multipart upload: not JSON
    body_type = field.annotation
    if not (isinstance(body_type, type) and issubclass(body_type, msgspec.Struct)):
        return None  # raw bytes, text or a dict: nothing typed to be strict about
    return msgspec.json.Decoder(body_type, strict=True)
