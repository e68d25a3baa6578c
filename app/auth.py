"""Admin authentication: `Authorization: Bearer <token>` with one of the named admin tokens."""

from __future__ import annotations

import hmac

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler


def admin_name(connection: ASGIConnection) -> str | None:
    """The name of the admin token presented, compared in constant time; None if none match."""
    header = connection.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        presented = connection.cookies.get("ledger_admin", "")
    if not presented:
        return None
    found = None
    for name, token in connection.app.state.services.settings.admin_tokens.items():
        if hmac.compare_digest(presented.strip().encode(), token.encode()):
            found = name
    return found


def require_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    name = admin_name(connection)
    if name is None:
        raise NotAuthorizedException("an admin token is required: Authorization: Bearer <token>")
    connection.scope["admin_name"] = name  # type: ignore[typeddict-unknown-key]
