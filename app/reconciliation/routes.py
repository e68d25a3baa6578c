"""`/api/reconciliations`: upload a statement, read the report and its lines, accept lines.

The statement is the request body itself (CSV), read as it streams in up to the configured
size (`LEDGER_STATEMENT_MAX_BYTES`) into a spooled file, so a large statement never sits in
memory whole; the reconciliation then runs in a worker thread.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from functools import partial
from typing import Annotated, Literal
from uuid import UUID

import anyio
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Body, FromPath, FromQuery, QueryParameter
from litestar.response import Stream

from app.audit.exports import csv_rows
from app.audit.period import DATE_OR_TIME
from app.auth import require_admin
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.reconciliation import report
from app.reconciliation.cancelling import Cancel, Cancelled
from app.reconciliation.connection import busy_answer, cancelled_answer, while_connected
from app.reconciliation.matching import Refused, reconcile, store_refusal
from app.reconciliation.options import upload_from
from app.reconciliation.parsing import StatementError
from app.reconciliation.settling import Acceptance, NotSettleable, accept
from app.reconciliation.turns import Busy
from app.reconciliation.wire import (
    AcceptIn,
    AcceptOut,
    LinesPage,
    ReconciliationCreated,
    ReconciliationOut,
    StatementErrorBody,
)

_SPOOL_IN_MEMORY = 4 << 20
_NO_LIMIT_HERE = 1 << 40  # the statement's own limit is applied while reading (see below)
PAGE = 200


_STATEMENT_CODES = (
    "duplicated_column", "empty_statement", "invalid_amount", "invalid_encoding",
    "invalid_mapping", "invalid_time", "malformed_csv", "missing_column", "missing_currency",
    "no_lead_key", "unknown_currency", "unknown_flow", "unknown_status",
)  # fmt: skip
_ONE = error_responses(*ADMIN_ROUTE, "not_found")
LineClass = Literal[
    "matched", "value_differs", "only_in_statement", "only_in_ledger", "duplicates",
    "ambiguous", "outside_period", "skipped",
]  # fmt: skip


class ReconciliationController(Controller):
    """Statements against the ledger (admin token); the report outlives the file."""

    path = "/api/reconciliations"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["reconciliation"]

    @post(
        "/",
        opt={"role": "operator"},
        status_code=201,
        request_max_body_size=_NO_LIMIT_HERE,
        summary="Reconcile an advertiser's CSV statement (the body) against the ledger",
        description="A refused statement answers the error with its `line` and `column` and "
        "the `reconciliation_id` the refusal is stored under.",
        responses=error_responses(
            *ADMIN_ROUTE,
            *_STATEMENT_CODES,
            "not_found",
            "statement_too_large",
            "advertiser_busy",
            "reconciliation_cancelled",
            at=dict.fromkeys(_STATEMENT_CODES, 400),
        ),  # fmt: skip
    )
    async def upload(
        self,
        request: Request,
        advertiser: FromQuery[str],
        from_: Annotated[str, QueryParameter(name="from", schema_extra=dict(DATE_OR_TIME))],
        to: Annotated[str, QueryParameter(schema_extra=dict(DATE_OR_TIME))],
        mapping: FromQuery[str | None] = None,
        use_remembered_mapping: FromQuery[bool] = False,
        amount_tolerance: FromQuery[str] = "0",
        time_tolerance: FromQuery[str] = "1d",
        file_name: FromQuery[str] = "statement.csv",
    ) -> Response:
        services = request.app.state.services
        try:
            upload = upload_from(
                advertiser, from_, to, mapping, amount_tolerance, time_tolerance,
                request.scope["admin_name"], file_name, use_remembered_mapping,
            )  # fmt: skip
        except StatementError as error:
            return _refusal(error, None, 400)
        if upload.advertiser not in services.catalog.current().advertisers:
            raise NotFoundException(f"no advertiser {upload.advertiser[:40]!r} in the catalog")
        with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY) as spool:
            limit = services.settings.statement_max_bytes
            receive = _receive_part if _is_multipart(request) else _receive
            received = await receive(request, spool, limit)
            if isinstance(received, str) and file_name == "statement.csv":
                upload = replace(upload, file_name=received)
            if received is False:
                error = StatementError("statement_too_large", f"the statement is larger than "
                                       f"the {limit} bytes a reconciliation reads")  # fmt: skip
                refusal = await anyio.to_thread.run_sync(
                    store_refusal, services.ledger, upload, error
                )
                return _refusal(error, refusal, 413)
            spool.seek(0)
            cancel = Cancel()
            run = partial(reconcile, services.ledger, services.catalog.current(), upload, spool,
                          None, cancel)  # fmt: skip
            try:
                run_id, summary = await while_connected(request, run, cancel)
            except Refused as refused:
                return _refusal(refused.error, refused.reconciliation_id, 400)
            except Busy as busy:
                return busy_answer(busy)
            except Cancelled as cancelled:
                return cancelled_answer(cancelled)
        used = report.run(services.ledger, run_id)
        source = "none" if not used.mapping else "given" if mapping is not None else "remembered"
        remembered = report.remembered_mapping(services.ledger, upload.advertiser)
        created = msgspec.convert({"id": str(run_id), "summary": summary, "mapping": used.mapping,
                                   "mapping_source": source, "remembered_mapping": remembered},
                                  ReconciliationCreated)  # fmt: skip
        return Response(msgspec.json.encode(created), status_code=201,
                        media_type="application/json")  # fmt: skip

    @get("/{run_id:uuid}", sync_to_thread=True, summary="A reconciliation's report",
         opt={"role": "support"},
         responses=_ONE)  # fmt: skip
    def one(self, request: Request, run_id: FromPath[UUID]) -> ReconciliationOut:
        found = report.run(request.app.state.services.ledger, run_id)
        if found is None:
            raise NotFoundException(f"no reconciliation {run_id}")
        return found

    @get("/{run_id:uuid}/lines", sync_to_thread=True, summary="A reconciliation's lines, paged",
         opt={"role": "support"},
         responses=_ONE)  # fmt: skip
    def lines(
        self,
        request: Request,
        run_id: FromPath[UUID],
        line_class: Annotated[LineClass | None, QueryParameter(name="class")] = None,
        after: FromQuery[int] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = PAGE,
    ) -> LinesPage:
        page = report.lines_page(
            request.app.state.services.ledger, run_id, line_class, after, limit
        )
        if page is None:
            raise NotFoundException(f"no reconciliation {run_id}")
        return page

    @get("/{run_id:uuid}/lines.csv", sync_to_thread=True, opt={"role": "support"},
         summary="A reconciliation's lines as CSV", responses=_ONE)  # fmt: skip
    def lines_csv(
        self,
        request: Request,
        run_id: FromPath[UUID],
        line_class: Annotated[LineClass | None, QueryParameter(name="class")] = None,
    ) -> Stream:
        app = request.app.state.services.ledger
        report.check_class(line_class)
        if report.run(app, run_id) is None:
            raise NotFoundException(f"no reconciliation {run_id}")
        rows = report.csv_lines(app, run_id, line_class)
        name = f"reconciliation-{run_id}" + (f"-{line_class}" if line_class else "")
        return Stream(
            csv_rows(rows, report.CSV_COLUMNS),
            media_type="text/csv",  # Litestar adds "; charset=utf-8" itself (else it came twice)
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    @post("/{run_id:uuid}/accept", status_code=200, sync_to_thread=True, opt={"role": "operator"},
          summary="Accept lines: their differences become lead events (or a dry run)",
          responses=error_responses(*ADMIN_ROUTE, "bad_request", "not_found", "line_by_line",
                                    "not_settleable", "refused_statement",
                                    "advertiser_busy", "dry_run_required"))  # fmt: skip
    def accept(
        self, request: Request, run_id: FromPath[UUID], data: Annotated[AcceptIn, Body()]
    ) -> Response:
        services = request.app.state.services
        leads = {int(k): v for k, v in data.leads.items() if k.isdigit() and len(k) < 10}
        what = Acceptance(data.classes, data.lines, data.dry_run, leads)
        try:
            done = accept(services.ledger, services.catalog.current(), run_id, what,
                          request.scope["admin_name"])  # fmt: skip
        except Busy as busy:
            return busy_answer(busy)
        except NotSettleable as refusal:
            body = StatementErrorBody(refusal.code, refusal.message)
            return Response(msgspec.json.encode(body), status_code=refusal.status,
                            media_type="application/json")  # fmt: skip
        out = msgspec.convert(done, AcceptOut)
        return Response(msgspec.json.encode(out), media_type="application/json")


async def _receive(request: Request, spool, limit: int) -> bool:
    """Copy the body into `spool`; False (reading no further) once it exceeds `limit`."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        return False
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return False
        spool.write(chunk)
    return True


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


async def _receive_part(request: Request, spool, limit: int) -> bool | str:
    """A multipart form's `file` part into `spool`, as a raw body would be; its file name."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        return False
    form = await request.form()
    part = form.get("file")
    if part is None or isinstance(part, str):
        raise ValidationException("a multipart upload needs the statement in a part named file")
    size = 0
    while chunk := await part.read(1 << 20):
        size += len(chunk)
        if size > limit:
            return False
        spool.write(chunk)
    return part.filename or True


def _refusal(error: StatementError, refusal_id: UUID | None, status: int) -> Response:
    body = StatementErrorBody(
        error.code, error.message, error.line, error.column,
        str(refusal_id) if refusal_id else None,
    )  # fmt: skip
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json")
