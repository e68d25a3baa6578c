"""The support staff's web page: search a lead, read its timeline, browse the postback log.

Server-rendered Jinja templates (`app/support/templates/`) and one stylesheet
(`app/support/static/`), served by the same Litestar app, no front-end build. Account pages
(`accounts.py`) and a lead's downloads (`downloads.py`) are their own controllers; what every
view shares (the login guard, the template context) is in `session.py`. Login is a personal
token (`postback-ledger staff add`) or the shared admin token, typed once into a form; it is
kept in an HttpOnly, SameSite=Strict cookie `ledger_admin`, which `app.auth` accepts like the
Bearer header (so the export links work from the page, within the person's role).
SameSite=Strict is also what keeps another site from making a signed-in browser post a
re-submission."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import UUID

import anyio
from litestar import Controller, Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app.audit.answers import lead_as_of_out, read_history
from app.audit.period import BoundError, bound
from app.audit.postback_log_routes import postback_out
from app.auth import token_holder
from app.eventstore.replica import read_transaction
from app.postbacks.resubmission import RESUBMITTABLE, NotResubmittable, resubmit
from app.support.accounts import AccountController
from app.support.deliveries_page import DeliveriesPage
from app.support.downloads import LeadDownloads
from app.support.moments import CHOICES, moment_of
from app.support.rates import RatesPage
from app.support.session import LoginRequired, require_login, to_login
from app.support.session import local_target as _local
from app.support.session import page_context as _context
from app.support.views import account_url, current_amounts, step_view
from projections.deliveries import operator_actions
from projections.deliveries import reads as delivery_reads
from projections.lead_view.queries import find_leads
from projections.postback_log.search import FILTERS, resubmissions_of, search_postbacks

HERE = Path(__file__).parent
COOKIE = "ledger_admin"
SESSION_SECONDS = 8 * 3600
PAGE = 50
# Where the lead page's "as the ledger stood at" comes from: a relative choice, the picker, or
# text (older links and typed words), the first one given.
ASKED = ("ago", "at", "as_of")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


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
        holder = await anyio.to_thread.run_sync(token_holder, request.app.state.services, token)
        if holder is None:  # a personal token (or the shared admin token), not revoked
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
        received: list[dict] = []
        resubmitted: dict = {}
        query = q.strip()
        if query:
            with _cursor(request) as cursor:
                leads = find_leads(cursor, query)
                if not leads:  # "we sent it, you don't have it": what did we get, and refuse?
                    received = postbacks_naming(cursor, query)
                    resubmitted = resubmissions_of(cursor, [row["id"] for row in received])
            if len(leads) == 1:
                return Redirect(f"/support/leads/{leads[0]['id']}")
        context = _context(
            request,
            q=query,
            leads=leads,
            received=[postback_out(row) for row in received],
            resubmitted={str(k): str(v["id"]) for k, v in resubmitted.items()},
            resubmittable=RESUBMITTABLE,
            here=_without_notice(str(request.url.path), request.url.query),
        )
        return Template("search.html", context=context)

    @get("/leads/{lead_id:uuid}", sync_to_thread=True)
    def lead(self, request: Request, lead_id: FromPath[UUID]) -> Template:
        services = request.app.state.services
        history = read_history(services, lead_id)
        asked = next(
            (request.query_params.get(k, "") for k in ASKED if request.query_params.get(k)), ""
        )
        moment = moment_of(asked)
        figure = None
        if history is not None and moment is not None and moment.problem is None:
            figure = _as_of_or_none(services, lead_id, moment.at)
        context = _context(
            request,
            history=history,
            lead_id=str(lead_id),
            steps=[step_view(step) for step in history.steps] if history else [],
            current=current_amounts(history.steps) if history else None,
            accounts=_holder_urls(history),
            moment=moment,
            choices=CHOICES,
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
            resubmittable=RESUBMITTABLE,
            here=_without_notice(str(request.url.path), request.url.query),
            next_cursor=next_cursor,
        )
        return Template("postbacks.html", context=context)

    @post("/postbacks/{postback_id:uuid}/resubmit", sync_to_thread=True, status_code=303,
          opt={"role": "support"})  # fmt: skip
    def resubmit(self, request: Request, postback_id: FromPath[UUID], data: Form) -> Response:
        """Decide a refused postback again; back to the page it was asked from, filters kept."""
        services = request.app.state.services
        client = request.client.host if request.client else ""
        back = data.get("back", "")
        try:
            result = resubmit(
                services.ledger, services.catalog, postback_id, request.scope["admin_name"], client
            )
        except NotResubmittable as refusal:
            return _back_with(back or "/support/postbacks", refusal.message)
        notice = f"Re-submitted: {result.outcome}" + (f" ({result.error})" if result.error else "")
        if result.lead_id:
            notice += f" — lead {str(result.lead_id)[:8]}"
        lead_page = f"/support/leads/{result.lead_id}" if result.lead_id else "/support/postbacks"
        return _back_with(back or lead_page, notice)

    @post("/deliveries/{delivery_id:uuid}/resend", sync_to_thread=True, status_code=303,
          opt={"role": "operator"})  # fmt: skip
    def resend(self, request: Request, delivery_id: FromPath[UUID], data: Form) -> Response:
        """Send a delivery to the webmaster again (operators; the page offers it only to them)."""
        with request.app.state.services.ledger.recorder.datastore.transaction(
            commit=True
        ) as cursor:
            done = delivery_reads.present(cursor) and operator_actions.resend(cursor, delivery_id)
        notice = "Resent to the webmaster" if done else f"No delivery {delivery_id}"
        request.scope["action_recorded"] = not done  # nothing changed: no row in the actions log
        return _back_with(data.get("back", "") or "/support", notice)

    @get("/export")
    async def export(self, request: Request) -> Response:
        """To the export's download; a bound the API would refuse is a page saying so."""
        params = {k: v for k, v in request.query_params.items() if v and k != "dataset"}
        dataset = request.query_params.get("dataset", "postbacks")
        problem = export_problem(params, request.app.state.services.settings.time_zone)
        if problem:
            context = _context(request, q="", leads=[], export_error=problem, asked=params)
            return Template("search.html", context=context, status_code=400)
        return Redirect(f"/api/exports/{dataset}", query_params=params)


def _cursor(request: Request):
    """Support's searches and postback log: on the replica with LEDGER_READ_URL (as the API's)."""
    return read_transaction(request.app.state.services)


def postbacks_naming(cursor, query: str) -> list[dict]:
    """The newest postbacks whose exto or click is `query`, refused ones included."""
    found: dict = {}
    for name in ("exto", "click"):
        rows, _ = search_postbacks(cursor, {name: query}, None, PAGE)
        found.update((row["id"], row) for row in rows)
    return sorted(found.values(), key=lambda row: row["position"], reverse=True)[:PAGE]


def export_problem(params: dict[str, str], time_zone: str) -> str | None:
    """What is wrong with the From and To fields, in the page's words; None when nothing is."""
    for name, label in (("from", "From"), ("to", "To")):
        try:
            bound(params.get(name), name, time_zone)
        except BoundError:
            return (
                f"{label}: “{params[name][:40]}” is not a date. Pick a day with the calendar, "
                "or type it as 2026-12-01 (a time as 2026-12-01T10:00:00Z)."
            )
    return None


def _as_of_or_none(services, lead_id: UUID, moment: datetime):
    try:
        return lead_as_of_out(services, lead_id, moment)
    except NotFoundException:  # the lead did not exist yet at that moment
        return None


def _holder_urls(history) -> dict[str, str | None]:
    if history is None:
        return {}
    return {
        "advertiser": account_url(f"advertiser:{history.advertiser}"),
        "webmaster": account_url(f"webmaster:{history.webmaster}"),
    }


def _without_notice(path: str, query: str) -> str:
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "notice"]
    return f"{path}?{urlencode(kept)}" if kept else path


def _back_with(target: str, notice: str) -> Redirect:
    """A redirect to a support page (never elsewhere) keeping its query, with a new notice."""
    parts = urlsplit(_local(target))
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "notice"]
    query = urlencode([*kept, ("notice", notice)])
    return Redirect(f"{parts.path}?{query}", status_code=303)


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
        AccountController,
        DeliveriesPage,
        LeadDownloads,
        create_static_files_router(path="/static", directories=[HERE / "static"]),
    ]


def support_templates() -> TemplateConfig:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)
