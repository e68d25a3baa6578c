"""Admin authentication: `Authorization: Bearer <token>` with one of the named admin tokens."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

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
    settings = connection.app.state.services.settings
    today = datetime.now(UTC).date()
    for name, token in settings.admin_tokens.items():
        matches = hmac.compare_digest(presented.strip().encode(), token.encode())
        expires = settings.admin_token_expiry.get(name)
        if matches and (expires is None or today <= expires):  # rotated out after `expires`
            found = name
    return found


def require_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    name = admin_name(connection)
    if name is None:
        raise NotAuthorizedException("an admin token is required: Authorization: Bearer <token>")
    connection.scope["admin_name"] = name  # type: ignore[typeddict-unknown-key]
