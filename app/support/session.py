"""What every support view behind the login shares: the guard, the template context, a cursor.

Kept apart from the views so that each support view module (lead pages, accounts, and those other
issues add) can use them without importing the module that composes the routes.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from app.auth import holder_of_connection
from app.staff.roles import ROLES, declared_role, may


class LoginRequired(NotAuthorizedException):
    """No valid admin cookie: the page sends the browser to the login form."""


async def require_login(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """A signed-in person (else to the login form) whose role reaches the page's `opt` role
    (pages that change something declare it, as API routes do; reading needs none)."""
    holder = await holder_of_connection(connection)
    if holder is None:  # no cookie, or a token since revoked: log in again
        raise LoginRequired("log in with your personal token (or the admin token)")
    needed = declared_role(handler.opt)
    if needed is not None and not may(holder[1], needed):
        raise PermissionDeniedException(f"this needs the {needed} role (or a higher one)")
    connection.scope["admin_name"] = holder[0]  # type: ignore[typeddict-unknown-key]
    connection.scope["admin_role"] = holder[1]  # type: ignore[typeddict-unknown-key]


def to_login(request: Request, _: Exception) -> Response:
    return Redirect("/support/login", query_params={"next": request.url.path})


def page_context(request: Request, **values: Any) -> dict[str, Any]:
    """What base.html needs (who is signed in, a notice, the path) plus the view's values.

    `can` says which roles the signed-in person reaches (`can.operator`): the templates offer
    only what the role allows (the API refuses the rest anyway)."""
    role = request.scope.get("admin_role", "support")  # type: ignore[call-overload]
    return {
        "admin": request.scope.get("admin_name"),
        "role": role,
        "can": {needed: may(role, needed) for needed in ROLES},
        "notice": request.query_params.get("notice"),
        "path": request.url.path,
        **values,
    }


def read_cursor(request: Request):
    """A read-only transaction on the store's database, as a context manager."""
    return request.app.state.services.ledger.recorder.datastore.transaction(commit=False)


def local_target(target: str) -> str:
    """Only redirect within the support page (never to another site)."""
    return target if target.startswith("/support") and "//" not in target else "/support"
