"""`GET /api/exports/{dataset}`: postbacks, ledger entries, leads or histories, streamed (admin)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, Request, get
from litestar.concurrency import sync_to_thread
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Stream

from app.audit.export_histories import HISTORY_COLUMNS, history_rows, history_steps
from app.audit.exports import csv_rows, ndjson
from app.audit.period import DATE_OR_TIME, BoundError, bound
from app.auth import require_admin
from app.eventstore.replica import export_store
from app.openapi.errors import ADMIN_ROUTE, error_responses
from projections.commission_ledger.export import ledger_rows
from projections.lead_view.export import LEAD_COLUMNS, lead_rows
from projections.lead_view.holders import ExportFilter
from projections.periods.reads import entry_periods
from projections.postback_log.export import postback_rows

Dataset = Literal["postbacks", "ledger", "leads", "histories"]
Format = Literal["csv", "ndjson"]
# The shared ledger contract's columns, in its order.
ENTRY_COLUMNS = [
    "id", "posting_id", "lead_id", "position", "event_type", "postback_id", "rule_version",
    "account", "bucket", "amount", "currency", "reverses", "recorded_at", "recalculation_id",
    "effective_at", "booked_at", "period", "statement_line",
]  # fmt: skip
# Litestar adds "; charset=utf-8" to a text/ type itself (naming it here too sent it twice).
_MEDIA = {"csv": "text/csv", "ndjson": "application/x-ndjson"}


@dataclass
class ExportOperation(Operation):
    """The 200 of an export is CSV or NDJSON text, as `format` asks (Litestar would say JSON)."""

    def __post_init__(self) -> None:
        text = Schema(type=OpenAPIType.STRING)
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(
                description="The rows, streamed, as an attachment (Content-Disposition)",
                content={
                    "text/csv; charset=utf-8": OpenAPIMediaType(schema=text),
                    "application/x-ndjson": OpenAPIMediaType(schema=text),
                },
            ),
        }


class ExportController(Controller):
    """Downloads for a period and an advertiser or webmaster; never held in memory whole."""

    path = "/api/exports"
    guards = [require_admin]
    opt = {"role": "support"}
    tags = ["audit"]

    @get(
        "/{dataset:str}",
        summary="Export postbacks, ledger entries, leads or lead histories as CSV or NDJSON",
        description="Filters: from (inclusive) and to (exclusive) on the postback's time, the "
        "entry's time, the lead's creation (leads) or life (histories), each a date (its "
        "midnight in LEDGER_TIME_ZONE, default UTC) or an RFC 3339 time; advertiser or "
        "webmaster selects that holder's leads.",
        operation_class=ExportOperation,
        responses=error_responses(*ADMIN_ROUTE),
    )
    async def export(
        self,
        request: Request,
        dataset: FromPath[Dataset],
        format: FromQuery[Format] = "csv",  # noqa: A002 - the query parameter's public name
        from_: Annotated[str | None, period_parameter(name="from", description="inclusive")] = None,
        to: Annotated[str | None, period_parameter(name="to", description="exclusive")] = None,
        advertiser: FromQuery[str | None] = None,
        webmaster: FromQuery[str | None] = None,
    ) -> Stream:
        if "\x00" in f"{advertiser}{webmaster}":  # refused before the stream starts, not within
            raise ValidationException("advertiser and webmaster cannot hold a NUL character")
        services = request.app.state.services
        start, end = period_of(from_, to, services.settings.time_zone)
        where = ExportFilter(start, end, advertiser, webmaster)
        # The first rows are read before the answer starts: a database that is down then gives a
        # 503, instead of a 200 whose body breaks off.
        content = await sync_to_thread(_started, _content(services, dataset, format, where))
        name = "-".join(
            part for part in (dataset, advertiser or webmaster, _day(start), _day(end)) if part
        )
        # A header carries Latin-1 only, and a quote would end the filename: keep it plain ASCII.
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
        return Stream(
            content,
            media_type=_MEDIA[format],
            headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'},
        )


def period_parameter(name: str, description: str) -> QueryParameter:
    return QueryParameter(
        name=name,
        description=f"{description}: a date (midnight in LEDGER_TIME_ZONE) or an RFC 3339 time",
        schema_extra=dict(DATE_OR_TIME),
    )


def period_of(
    start: str | None, end: str | None, time_zone: str
) -> tuple[datetime | None, datetime | None]:
    """The period's UTC bounds, or a 400 naming `from` or `to` and what to send instead."""
    try:
        return bound(start, "from", time_zone), bound(end, "to", time_zone)
    except BoundError as error:
        raise ValidationException(str(error)) from None


def _content(services, dataset: str, format: str, where: ExportFilter) -> Iterator[bytes]:
    app = export_store(services)  # the replica with LEDGER_READ_URL
    if dataset == "postbacks":
        rows = postback_rows(app, where)
        return csv_rows(rows) if format == "csv" else ndjson(rows)
    if dataset == "ledger":
        rows = with_periods(app, ledger_rows(app, where))
        return csv_rows(rows, ENTRY_COLUMNS) if format == "csv" else ndjson(rows)
    if dataset == "leads":
        rows = lead_rows(app, where)
        return csv_rows(rows, LEAD_COLUMNS) if format == "csv" else ndjson(rows)
    histories = history_rows(app, where, services.catalog.current())
    if format == "csv":
        return csv_rows(history_steps(histories), HISTORY_COLUMNS)
    return ndjson(histories)


def with_periods(app, rows: Iterator[dict]) -> Iterator[dict]:
    """Each entry with `effective_at`, `booked_at` and the closed `period` it belongs to."""
    with app.recorder.datastore.transaction(commit=False) as cursor:
        periods = entry_periods(cursor)
    for row in rows:
        yield {**row, **periods.keys_of(row)}


def _started(content: Iterator[bytes]) -> Iterator[bytes]:
    first = next(content, None)
    return content if first is None else itertools.chain((first,), content)


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None
