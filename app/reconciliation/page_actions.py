"""The support page's reconciliation actions: upload a statement, dry-run and accept lines.

The same work as the API (`app.reconciliation.routes`), from HTML forms behind the support
login, so an operator needs no curl: the upload form takes the file and its mapping and leads
to the report; the report's accept form shows a dry run's outcome and balances before anything
is accepted, and the same form accepts. Refusals come back as the page's notice.
"""

from __future__ import annotations

import re
import tempfile
from functools import partial
from urllib.parse import quote
from uuid import UUID

import anyio
from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.reconciliation import report
from app.reconciliation.cancelling import Cancel, Cancelled
from app.reconciliation.connection import while_connected
from app.reconciliation.matching import Refused, reconcile
from app.reconciliation.options import upload_from
from app.reconciliation.parsing import StatementError
from app.reconciliation.settling import Acceptance, NotSettleable, accept
from app.reconciliation.turns import Busy
from app.support.page import LoginRequired, require_login, to_login
from domain.reconciliation import CLASSES

_SPOOL_IN_MEMORY = 4 << 20
_BY_CLASS = ("value_differs", "matched", "only_in_ledger")
_LEAD = re.compile(r"(\d+)\s*[=:]\s*([0-9a-fA-F-]{36})")


class ReconciliationActions(Controller):
    path = "/support/reconciliations"
    guards = [require_login]
    exception_handlers = {LoginRequired: to_login}
    include_in_schema = False
    opt = {"role": "operator"}
    request_max_body_size = 1 << 40  # the statement's own limit is applied while copying

    @post("/upload", status_code=303)
    async def upload(self, request: Request) -> Redirect:
        services = request.app.state.services
        form = await request.form()
        names = ("advertiser", "from", "to", "mapping", "amount_tolerance", "time_tolerance")
        field = {name: str(form.get(name) or "").strip() for name in names}
        part = form.get("file")
        if part is None or isinstance(part, str):
            return _notice("/support/reconciliations", "Choose the statement file to upload.")
        try:
            upload = upload_from(
                field["advertiser"], field["from"], field["to"], field["mapping"] or None,
                field["amount_tolerance"] or "0", field["time_tolerance"] or "1d",
                request.scope["admin_name"], part.filename or "statement.csv",
                bool(form.get("use_remembered_mapping")),
            )  # fmt: skip
            if upload.advertiser not in services.catalog.current().advertisers:
                raise StatementError("not_found", f"no advertiser {upload.advertiser[:40]!r}")
            with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY) as spool:
                size, limit = 0, services.settings.statement_max_bytes
                while chunk := await part.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise StatementError("statement_too_large", f"over {limit} bytes")
                    spool.write(chunk)
                spool.seek(0)
                cancel = Cancel()
                work = partial(reconcile, services.ledger, services.catalog.current(), upload,
                               spool, None, cancel)  # fmt: skip
                run_id, _ = await while_connected(request, work, cancel)
        except Refused as refused:
            target = f"/support/reconciliations/{refused.reconciliation_id}"
            return _notice(target, f"Refused: {refused.error.message}")
        except (StatementError, Busy, Cancelled) as error:
            return _notice("/support/reconciliations", f"Not reconciled: {error}")
        return _notice(f"/support/reconciliations/{run_id}", "Reconciled.")

    @post("/{run_id:uuid}/accept", status_code=200)
    async def accept(self, request: Request, run_id: FromPath[UUID]) -> Template | Redirect:
        services = request.app.state.services
        form = await request.form()
        lines = [int(n) for n in re.findall(r"\d+", str(form.get("lines") or ""))]
        leads = {int(m[1]): m[2] for m in _LEAD.finditer(str(form.get("leads") or ""))}
        classes = [str(c) for c in form.getall("classes", []) if c in _BY_CLASS]
        dry_run = str(form.get("action") or "dry_run") != "accept"
        what = Acceptance(classes, lines, dry_run, leads)
        settle = partial(accept, services.ledger, services.catalog.current(), run_id, what,
                         request.scope["admin_name"])  # fmt: skip
        try:
            done = await anyio.to_thread.run_sync(settle)
        except (NotSettleable, Busy) as refusal:
            return _notice(f"/support/reconciliations/{run_id}", f"Not accepted: {refusal}")
        found = await anyio.to_thread.run_sync(report.run, services.ledger, run_id)
        shown = [name for name in CLASSES if found and name in (found.summary or {})]
        context = {"admin": request.scope.get("admin_name"), "path": request.url.path,
                   "notice": ("Dry run: nothing was changed." if dry_run else "Accepted."),
                   "run": found, "classes": shown, "chosen": None, "page": None,
                   "acceptance": done, "asked": {"lines": str(form.get("lines") or ""),
                                                 "leads": str(form.get("leads") or ""),
                                                 "classes": classes}}  # fmt: skip
        return Template("reconciliation.html", context=context)


def _notice(target: str, notice: str) -> Redirect:
    return Redirect(f"{target}?notice={quote(notice[:300])}", status_code=303)
