"""Admin authentication and roles: `Authorization: Bearer <token>` (or the support page's cookie).

Two kinds of token are accepted:
- the shared admin tokens (`LEDGER_ADMIN_TOKEN`, or named ones in `LEDGER_ADMIN_TOKENS`): their
  holder is the **owner**, named by the token's name;
- a staff member's personal token (`postback-ledger staff add`): looked up by its digest in the
  `staff` table on every request (`app.staff.store`), so a revocation holds in every worker at
  once; its holder is the member, with the member's role.

Each admin route declares the role it needs in Litestar's `opt` (`opt={"role": "operator"}` on
the handler or its controller; `app.staff.roles`). `require_admin` answers 401 to an unknown or
revoked token and 403 `forbidden` to a role below the one needed, and leaves the person's name
and role in the request scope (`admin_name`, `admin_role`): handlers record the name as the
author of what they change.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import anyio
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.staff import store
from app.staff.roles import OWNER, may, needed_role


def presented_token(connection: ASGIConnection) -> str:
    """The token of the Bearer header, else of the support page's cookie ('' if neither)."""
    header = connection.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        presented = connection.cookies.get("ledger_admin", "")
    return presented.strip()


def owner_name(settings, presented: str) -> str | None:
    """The name of the shared admin token presented, compared in constant time; None if none."""
    if not presented:
        return None
    found = None
    today = datetime.now(UTC).date()
    for name, token in settings.admin_tokens.items():
        matches = hmac.compare_digest(presented.encode(), token.encode())
        expires = settings.admin_token_expiry.get(name)
        if matches and (expires is None or today <= expires):  # rotated out after `expires`
            found = name
    return found


def acting_person(connection: ASGIConnection) -> str:
    """Who made a change, recorded as its author: the name `require_admin` let through."""
    return connection.scope.get("admin_name") or "admin"  # type: ignore[call-overload]


def admin_name(connection: ASGIConnection) -> str | None:
    """Who `require_admin` let through (a person's or admin token's name); outside a guarded
    route, the name of a shared admin token presented. Kept for callers of the old API."""
    name = connection.scope.get("admin_name")  # type: ignore[call-overload]
    if name:
        return name
    return owner_name(connection.app.state.services.settings, presented_token(connection))


def token_holder(services, presented: str) -> tuple[str, str] | None:
    """(name, role) of whoever holds `presented`; None for an unknown or revoked token.

    Blocking (a database read for personal tokens): async callers use `holder_of_connection`."""
    name = owner_name(services.settings, presented)
    if name is not None:
        return name, OWNER
    if not presented.startswith(store.TOKEN_PREFIX):
        return None
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        return store.holder_of(cursor, presented)


async def holder_of_connection(connection: ASGIConnection) -> tuple[str, str] | None:
    presented = presented_token(connection)
    services = connection.app.state.services
    name = owner_name(services.settings, presented)
    if name is not None:  # the shared token needs no database
        return name, OWNER
    if not presented.startswith(store.TOKEN_PREFIX):
        return None
    return await anyio.to_thread.run_sync(token_holder, services, presented)


async def require_admin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    holder = await holder_of_connection(connection)
    if holder is None:
        raise NotAuthorizedException("an admin token is required: Authorization: Bearer <token>")
    name, role = holder
    needed = needed_role(handler.opt)
    if not may(role, needed):
        raise PermissionDeniedException(
            f"this needs the {needed} role (or a higher one); {name} has the {role} role"
        )
    connection.scope["admin_name"] = name  # type: ignore[typeddict-unknown-key]
    connection.scope["admin_role"] = role  # type: ignore[typeddict-unknown-key]
