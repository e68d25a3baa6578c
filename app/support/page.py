"""The support staff's web page: search a lead, read its timeline, browse the postback log.

Server-rendered Jinja templates (`app/support/templates/`) and one stylesheet
(`app/support/static/`), served by the same Litestar app, no front-end build. Login is the admin
token typed once into a form; it is kept in an HttpOnly, SameSite=Strict cookie `ledger_admin`,
which `app.auth` accepts like the Bearer header (so the export links work from the page).
SameSite=Strict is also what keeps another site from making a signed-in browser post a
re-submission."""

from __future__ import annotations

import hmac
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.audit.answers import lead_as_of_out, read_history
from app.audit.postback_log_routes import postback_out
from app.auth import admin_name
from app.postbacks.resubmission import NotResubmittable, resubmit
from app.support.rates import RatesPage
from app.support.views import step_view
from projections.lead_view.queries import find_leads
from projections.postback_log.search import FILTERS, resubmissions_of, search_postbacks

HERE = Path(__file__).parent
COOKIE = "ledger_admin"
SESSION_SECONDS = 8 * 3600
PAGE = 50
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


class LoginRequired(NotAuthorizedException):
    """No valid admin cookie: the page sends the browser to the login form."""


def require_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    name = admin_name(connection)
    if name is None:
        raise LoginRequired("log in with the admin token")
    connection.scope["admin_name"] = name  # type: ignore[typeddict-unknown-key]


def to_login(request: Request, _: Exception) -> Response:
    return Redirect("/support/login", query_params={"next": request.url.path})


class LoginController(Controller):
    """The login form: the only support page open without the token."""

    path = "/support"
    include_in_schema = False

    @get("/login")
    async def login_form(self, next: FromQuery[str] = "/support") -> Template:  # noqa: A002
        return Template("login.html", context={"next": _local(next), "error": None})

    @post("/login", status_code=303)
    async def login(self, request: Request, data: Form) -> Response:
        token = data.get("token", "").strip()
        tokens = request.app.state.services.settings.admin_tokens.values()
        if not any(hmac.compare_digest(token.encode(), known.encode()) for known in tokens):
            context = {"next": _local(data.get("next", "")), "error": "That token is not valid."}
            return Template("login.html", context=context, status_code=401)
        cookie = Cookie(
            key=COOKIE, value=token, httponly=True, samesite="strict", path="/",
            secure=request.url.scheme == "https", max_age=SESSION_SECONDS,
        )  # fmt: skip
        return Redirect(_local(data.get("next", "")), cookies=[cookie], status_code=303)

    @post("/logout", status_code=303)
    async def logout(self) -> Response:
        response = Redirect("/support/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response


class SupportController(Controller):
    """Pages behind the login."""

    path = "/support"
    guards = [require_login]
    exception_handlers = {LoginRequired: to_login}
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def search(self, request: Request, q: FromQuery[str] = "") -> Response:
        leads: list[dict] = []
        query = q.strip()
        if query:
            with _cursor(request) as cursor:
                leads = find_leads(cursor, query)
            if len(leads) == 1:
                return Redirect(f"/support/leads/{leads[0]['id']}")
        return Template("search.html", context=_context(request, q=query, leads=leads))

    @get("/leads/{lead_id:uuid}", sync_to_thread=True)
    def lead(
        self, request: Request, lead_id: FromPath[UUID], as_of: FromQuery[str] = ""
    ) -> Template:
        services = request.app.state.services
        history = read_history(services, lead_id)
        moment = _moment(as_of)
        figure = None
        if history is not None and moment is not None:
            figure = _as_of_or_none(services, lead_id, moment)
        context = _context(
            request,
            history=history,
            lead_id=str(lead_id),
            steps=[step_view(step) for step in history.steps] if history else [],
            as_of=as_of,
            figure=figure,
        )
        return Template("lead.html", context=context, status_code=200 if history else 404)

    @get("/postbacks", sync_to_thread=True)
    def postbacks(self, request: Request, before: FromQuery[int | None] = None) -> Template:
        filters = {
            name: request.query_params.get(name, "").strip() for name in (*FILTERS, "from", "to")
        }
        with _cursor(request) as cursor:
            rows, next_cursor = search_postbacks(
                cursor, {k: v for k, v in filters.items() if v}, before, PAGE
            )
            resubmitted = resubmissions_of(cursor, [row["id"] for row in rows])
        context = _context(
            request,
            filters=filters,
            items=[postback_out(row) for row in rows],
            resubmitted={str(k): str(v["id"]) for k, v in resubmitted.items()},
            next_cursor=next_cursor,
        )
        return Template("postbacks.html", context=context)

    @post("/postbacks/{postback_id:uuid}/resubmit", sync_to_thread=True, status_code=303)
    def resubmit(self, request: Request, postback_id: FromPath[UUID]) -> Response:
        services = request.app.state.services
        client = request.client.host if request.client else ""
        try:
            result = resubmit(
                services.ledger, services.catalog, postback_id, request.scope["admin_name"], client
            )
        except NotResubmittable as refusal:
            return Redirect("/support/postbacks", query_params={"notice": refusal.message})
        notice = f"Re-submitted: {result.outcome}" + (f" ({result.error})" if result.error else "")
        target = f"/support/leads/{result.lead_id}" if result.lead_id else "/support/postbacks"
        return Redirect(target, query_params={"notice": notice}, status_code=303)

    @get("/export")
    async def export(self, request: Request) -> Redirect:
        params = {k: v for k, v in request.query_params.items() if v and k != "dataset"}
        dataset = request.query_params.get("dataset", "postbacks")
        return Redirect(f"/api/exports/{dataset}", query_params=params)


def _context(request: Request, **values: Any) -> dict[str, Any]:
    return {
        "admin": request.scope.get("admin_name"),
        "notice": request.query_params.get("notice"),
        "path": request.url.path,
        **values,
    }


def _cursor(request: Request):
    return request.app.state.services.ledger.recorder.datastore.transaction(commit=False)


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _as_of_or_none(services, lead_id: UUID, moment: datetime):
    try:
        return lead_as_of_out(services, lead_id, moment)
    except NotFoundException:  # the lead did not exist yet at that moment
        return None


def _local(target: str) -> str:
    """Only redirect within the support page (never to another site)."""
    return target if target.startswith("/support") and "//" not in target else "/support"


def support_routes() -> list:
    return [
        LoginController,
        SupportController,
        Router(
            "/",
            route_handlers=[RatesPage],
            guards=[require_login],
            exception_handlers={LoginRequired: to_login},
        ),  # fmt: skip
        create_static_files_router(path="/static", directories=[HERE / "static"]),
    ]


def support_templates() -> TemplateConfig:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
