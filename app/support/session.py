"""What every support view behind the login shares: the guard, the template context, a cursor.

Kept apart from the views so that each support view module (lead pages, accounts, and those other
issues add) can use them without importing the module that composes the routes.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from app.auth import admin_name


class LoginRequired(NotAuthorizedException):
    """No valid admin cookie: the page sends the browser to the login form."""


def require_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    name = admin_name(connection)
    if name is None:
        raise LoginRequired("log in with the admin token")
    connection.scope["admin_name"] = name  # type: ignore[typeddict-unknown-key]


def to_login(request: Request, _: Exception) -> Response:
    return Redirect("/support/login", query_params={"next": request.url.path})


def page_context(request: Request, **values: Any) -> dict[str, Any]:
    """What base.html needs (who is signed in, a notice, the path) plus the view's values."""
    return {
        "admin": request.scope.get("admin_name"),
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
