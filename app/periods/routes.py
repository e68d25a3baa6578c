"""Periods (admin token): close one (finance), list them and read their statements (support).

A statement is what support sends a webmaster who disputes a payment: per bucket, what the
account held when the period opened, what moved and why, and what it held at the close.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from app.auth import acting_person, require_admin
from app.openapi.errors import ADMIN_ROUTE, error_responses
from app.periods.closing import CloseRefused, close_period
from app.periods.moments import until_of
from app.periods.wire import CloseRequest, PeriodOut, PeriodPage, StatementOut, StatementPage
from domain.period import Period
from projections.periods import reads

MAX_PAGE = 500
Format = Literal["json", "csv"]


class PeriodController(Controller):
    """Closed periods and their sealed statements."""

    path = "/api/periods"
    guards = [require_admin]
    tags = ["periods"]

    @post(
        sync_to_thread=True,
        status_code=201,
        opt={"role": "finance"},
        summary="Close the open period at `until` (a date is midnight in LEDGER_TIME_ZONE)",
        responses=error_responses(*ADMIN_ROUTE, "bad_request", "conflict", "unprocessable"),
    )
    def close(self, request: Request, data: JSONBody[CloseRequest]) -> PeriodOut:
        services = request.app.state.services
        until = until_of(data.until, services.settings.time_zone)
        actor = acting_person(request)
        try:
            period = close_period(
                services.ledger,
                until,
                datetime.now(UTC),
                actor,
                services.settings.projection_wait_seconds,
            )
        except CloseRefused as refused:
            raise ClientException(str(refused), status_code=refused.status) from refused
        return closed_out(period)

    @get(
        sync_to_thread=True,
        opt={"role": "support"},
        summary="Closed periods, the latest first",
        responses=error_responses(*ADMIN_ROUTE),
    )
    def list_periods(
        self,
        request: Request,
        cursor: Annotated[
            int | None,
            QueryParameter(ge=1, le=2**31 - 1, description="next_cursor of the previous page"),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> PeriodPage:
        with _reading(request) as db:
            rows = reads.newest_periods(db, cursor, limit + 1)
        items = [period_out(row) for row in rows[:limit]]
        return PeriodPage(items, str(items[-1].id) if len(rows) > limit else None)

    @get(
        "/{period:int}/statements",
        sync_to_thread=True,
        opt={"role": "support"},
        summary="A closed period's statements, per account and currency (JSON or CSV)",
        responses=error_responses(*ADMIN_ROUTE, "bad_request", "not_found"),
    )
    def statements(
        self,
        request: Request,
        period: FromPath[int],
        account: FromQuery[str | None] = None,
        currency: FromQuery[str | None] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="next_cursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = MAX_PAGE,
        format: FromQuery[Format] = "json",  # noqa: A002 - the query parameter's public name
    ) -> Response:
        after = _cursor(cursor)
        with _reading(request) as db:
            if not 0 < period < 2**31 or reads.period(db, period) is None:
                raise NotFoundException(f"no closed period {period}")
            rows = reads.statements(db, period, account or None, currency or None, after, limit + 1)
        items = [_decoded(row["document"], period) for row in rows[:limit]]
        more = len(rows) > limit
        next_cursor = f"{items[-1].account}|{items[-1].currency}" if more else None
        if format == "csv":
            return Response(
                statements_csv(items),
                media_type="text/csv",
                headers={
                    "Content-Disposition": f'attachment; filename="period-{period}.csv"',
                    **({"X-Next-Cursor": next_cursor} if next_cursor else {}),
                },
            )
        return Response(msgspec.json.encode(StatementPage(period, items, next_cursor)))


def _reading(request: Request):
    return request.app.state.services.ledger.recorder.datastore.transaction(commit=False)


def _cursor(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    account, separator, currency = cursor.rpartition("|")
    if not separator or not account:
        raise ClientException("cursor must be a next_cursor this endpoint gave")
    return account, currency


def _decoded(document: str, period: int) -> StatementOut:
    """A sealed statement as stored; its listed changes say the period they were booked in."""
    statement = msgspec.json.decode(document, type=StatementOut)
    for line in (*statement.adjustments, *statement.settlements):
        line.period = period
    return statement


_LISTED_COLUMNS = ("kind", "lead", "position", "cause", "effective_at", "booked_at", "period")


def statements_csv(items: list[StatementOut]) -> str:
    """One line per figure: account, currency, line (opening, a movement kind, closing), bucket;
    then each change listed with its cause (line `adjustment` or `settlement`), whose own
    columns come last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("account", "currency", "line", "bucket", "amount", *_LISTED_COLUMNS))
    blank = ("",) * len(_LISTED_COLUMNS)
    for item in items:
        for bucket, amount in item.opening.items():
            writer.writerow((item.account, item.currency, "opening", bucket, amount, *blank))
        for movement in item.movements:
            writer.writerow(
                (item.account, item.currency, movement.kind, movement.bucket, movement.amount)
                + blank
            )
        for bucket, amount in item.closing.items():
            writer.writerow((item.account, item.currency, "closing", bucket, amount, *blank))
        for name, lines in (("adjustment", item.adjustments), ("settlement", item.settlements)):
            for line in lines:
                writer.writerow(
                    (item.account, item.currency, name, line.bucket, line.amount)
                    + tuple(getattr(line, column) for column in _LISTED_COLUMNS)
                )
    return out.getvalue()


def closed_out(period: Period) -> PeriodOut:
    return PeriodOut(
        id=period.number,
        starts_at=period.starts_at,
        until=period.until,
        covers_through=period.covers_through,
        entry_count=period.entry_count,
        entries_hash=period.entries_hash,
        previous_seal=period.previous_seal,
        seal=period.seal,
        closed_at=period.created_on,
        closed_by=period.closed_by,
        statements=len(period.statements),
    )


def period_out(row: dict) -> PeriodOut:
    return PeriodOut(
        id=row["number"],
        starts_at=row["starts_at"],
        until=row["until"],
        covers_through=row["covers_through"],
        entry_count=row["entry_count"],
        entries_hash=row["entries_hash"],
        previous_seal=row["previous_seal"],
        seal=row["seal"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
        statements=row["statements"],
    )
