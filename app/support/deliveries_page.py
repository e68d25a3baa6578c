"""The support page's Deliveries view: per webmaster its postback targets and how each URL fares.

For each webmaster (and each of their flows with targets of its own): every target's URL (masked,
as everywhere it is shown), its events and method, whether it is active or suspended, how many
deliveries wait, and its last error. Operators get the buttons: resume a suspended URL, resend the
delivery that last failed. URLs deliveries were queued for that the catalog no longer names are
listed too, so a suspended one with deliveries waiting is never out of sight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from app.deliveries.masking import masked_url
from app.support.session import LoginRequired, page_context, read_cursor, require_login, to_login
from domain.webmaster_postbacks import Target
from projections.deliveries import operator_actions
from projections.deliveries.health import url_health, used_targets

log = logging.getLogger(__name__)
PAGE = 50  # webmasters per page
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


@dataclass
class TargetRow:
    """One target as the page shows it."""

    id: UUID
    url: str  # masked
    method: str
    events: str
    health: dict | None  # None: nothing queued for it yet

    @property
    def state(self) -> str:
        if self.health is None:
            return "unused"
        return "suspended" if self.health["suspended_at"] else "active"


@dataclass
class Owner:
    """A webmaster's targets, or one flow's own (which replace the webmaster's for that flow)."""

    webmaster: str
    flow: int | None
    targets: list[TargetRow] = field(default_factory=list)


def _row(target: Target, health: dict | None) -> TargetRow:
    shown = health["url"] if health else masked_url(target.url, None, target.url_secret)
    events = "all events" if target.events is None else ", ".join(sorted(target.events))
    return TargetRow(target.id, shown, target.method, events, health)


def owners_page(services, cursor, after: str) -> tuple[list[Owner], str | None]:
    """The webmasters after `after` (their ids in order), PAGE of them, and the next cursor."""
    configured = services.ledger.postback_targets_aggregate().targets()
    flows = services.catalog.current().flows
    owners = [Owner(w, None, list(t)) for w, t in configured.by_webmaster.items() if t]
    for flow_id, targets in configured.by_flow.items():
        if targets:
            webmaster = flows[flow_id].webmaster if flow_id in flows else "?"
            owners.append(Owner(webmaster, flow_id, list(targets)))
    webmasters = sorted({o.webmaster for o in owners if o.webmaster > after})
    shown = set(webmasters[:PAGE])
    owners = sorted(
        (o for o in owners if o.webmaster in shown), key=lambda o: (o.webmaster, o.flow or 0)
    )
    ids = {t.id for o in owners for t in o.targets}
    if len(webmasters) <= PAGE:  # last page: the URLs no longer configured come last
        groups = (*configured.by_webmaster.values(), *configured.by_flow.values())
        configured_ids = {t.id for group in groups for t in group}
        ids |= set(used_targets(cursor)) - configured_ids
    health = url_health(cursor, sorted(ids))
    for owner in owners:
        owner.targets = [_row(t, health.get(t.id)) for t in owner.targets]
    known = {t.id for o in owners for t in o.targets}
    gone = [TargetRow(i, h["url"], "", "", h) for i, h in health.items() if i not in known]
    if gone:
        owners.append(Owner("(no longer in the catalog)", None, gone))
    next_cursor = webmasters[PAGE - 1] if len(webmasters) > PAGE else None
    return owners, next_cursor


class DeliveriesPage(Controller):
    """`/support/deliveries`, behind the same login as the other support pages."""

    path = "/support"
    guards = [require_login]
    exception_handlers = {LoginRequired: to_login}
    include_in_schema = False

    @get("/deliveries", sync_to_thread=True)
    def deliveries(self, request: Request, after: FromQuery[str] = "") -> Template:
        services = request.app.state.services
        with read_cursor(request) as cursor:
            owners, next_cursor = owners_page(services, cursor, after)
        context = page_context(request, owners=owners, next_cursor=next_cursor)
        return Template("deliveries.html", context=context)

    @post("/deliveries/targets/{target_id:uuid}/resume", sync_to_thread=True, status_code=303,
          opt={"role": "operator"})  # fmt: skip
    def resume(self, request: Request, target_id: FromPath[UUID], data: Form) -> Response:
        """Lift a URL's suspension; its waiting deliveries are due at once."""
        services = request.app.state.services
        with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
            health = url_health(cursor, [target_id]).get(target_id)
            done = health is not None and operator_actions.resume(cursor, target_id)
        request.scope["action_recorded"] = not done  # nothing changed: no row in the actions log
        if not done:
            return _back(f"No delivery URL {target_id}")
        log.warning(
            "delivery URL %s resumed by %s (target %s); %d waiting deliveries are due",
            health["url"], request.scope.get("admin_name"), target_id, health["waiting"],
        )  # fmt: skip
        return _back(f"Resumed {health['url']}: {health['waiting']} deliveries are due")


def _back(notice: str) -> Redirect:
    return Redirect("/support/deliveries", query_params={"notice": notice}, status_code=303)
