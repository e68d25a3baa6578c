"""The support page's reconciliation view: recent statements, and one report with a tab per class.

Behind the same login as the rest of `/support` (`app.support.page`); the lines shown are the
stored ones, so a report reads the same a year later. Uploading and
accepting are the forms of `app.reconciliation.page_actions`.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template

from app.reconciliation import report, store
from app.support.page import LoginRequired, require_login, to_login
from domain.reconciliation import CLASSES, LineClass

PAGE = 100


class ReconciliationPage(Controller):
    path = "/support/reconciliations"
    guards = [require_login]
    exception_handlers = {LoginRequired: to_login}
    include_in_schema = False
    opt = {"role": "support"}

    @get("/", sync_to_thread=True)
    def recent(self, request: Request) -> Template:
        with request.app.state.services.ledger.recorder.datastore.transaction() as cursor:
            runs = store.recent_runs(cursor)
            mappings = store.remembered_mappings(cursor)
        advertisers = sorted(request.app.state.services.catalog.current().advertisers)
        context = _context(request, runs=runs, mappings=mappings, advertisers=advertisers)
        return Template("reconciliations.html", context=context)

    @get("/{run_id:uuid}", sync_to_thread=True)
    def one(
        self,
        request: Request,
        run_id: FromPath[UUID],
        line_class: Annotated[str, QueryParameter(name="class")] = LineClass.VALUE_DIFFERS,
        after: FromQuery[int] = 0,
    ) -> Template:
        app = request.app.state.services.ledger
        found = report.run(app, run_id)
        chosen = line_class if line_class in CLASSES else LineClass.VALUE_DIFFERS
        page = report.lines_page(app, run_id, chosen, after, PAGE) if found else None
        shown = [name for name in CLASSES if found and name in (found.summary or {})]
        context = _context(request, run=found, classes=shown, chosen=chosen, page=page)
        return Template("reconciliation.html", context=context, status_code=200 if found else 404)


def _context(request: Request, **values) -> dict:
    return {"admin": request.scope.get("admin_name"), "path": request.url.path,
            "notice": request.query_params.get("notice"), **values}  # fmt: skip
