"""The delivery log for support and operators: list, inspect, resend, suspend and resume URLs."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter

from app.auth import require_admin
from app.deliveries.wire import (
    CURSOR_PATTERN,
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    TargetOut,
    TargetPage,
    after_cursor,
    attempt_out,
    delivery_out,
    page_cursor,
    target_out,
)
from app.openapi.errors import ADMIN_ROUTE, error_responses
from projections.deliveries import operator_actions, reads

log = logging.getLogger(__name__)
State = Literal["pending", "delivered", "failed", "suspended", "cancelled"]


def _cursor(request: Request, commit: bool = False):
    return request.app.state.services.ledger.recorder.datastore.transaction(commit=commit)


_ADMIN = error_responses(*ADMIN_ROUTE)
_ONE = error_responses(*ADMIN_ROUTE, "not_found")
_LIST = error_responses(*ADMIN_ROUTE, "bad_request")
_CANCEL = error_responses(*ADMIN_ROUTE, "not_found", "conflict")
_OPERATOR = {"role": "operator"}


class DeliveryController(Controller):
    """Outgoing postbacks to webmasters (admin token)."""

    path = "/api/deliveries"
    guards = [require_admin]
    opt = {"role": "support"}  # reads; sending again, cancelling, suspending: operator
    tags = ["deliveries"]

    @get(
        "",
        sync_to_thread=True,
        summary="Deliveries to webmasters, newest first, paged",
        responses=_LIST,
    )
    def list_deliveries(
        self,
        request: Request,
        webmaster: FromQuery[str | None] = None,
        lead: FromQuery[UUID | None] = None,
        state_: Annotated[State | None, QueryParameter(name="state")] = None,
        from_: Annotated[datetime | None, QueryParameter(name="from")] = None,
        to: FromQuery[datetime | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        cursor: Annotated[
            str | None,
            QueryParameter(description="`next` of the previous page", pattern=CURSOR_PATTERN),
        ] = None,
    ) -> DeliveryPage:
        try:
            after = after_cursor(cursor) if cursor else None
        except ValueError as error:
            raise ClientException(str(error), status_code=400) from None
        with _cursor(request) as db:
            if not reads.present(db):
                return DeliveryPage([])
            rows = reads.search(db, webmaster or None, lead, state_, from_, to, limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        return DeliveryPage(
            [delivery_out(row) for row in rows], page_cursor(rows[-1]) if more else None
        )

    @get(
        "/{delivery_id:uuid}",
        sync_to_thread=True,
        summary="A delivery with every attempt",
        responses=_ONE,
    )
    def get_delivery(self, request: Request, delivery_id: FromPath[UUID]) -> DeliveryDetail:
        with _cursor(request) as cursor:
            row = reads.one(cursor, delivery_id) if reads.present(cursor) else None
            if row is None:
                raise NotFoundException(f"no delivery {delivery_id}")
            attempts = reads.attempts_of(cursor, [delivery_id])[delivery_id]
        return DeliveryDetail(delivery_out(row), [attempt_out(a) for a in attempts])

    @post(
        "/{delivery_id:uuid}/resend",
        opt=_OPERATOR,
        sync_to_thread=True,
        status_code=200,
        responses=_ONE,
        summary="Send a delivery again now (same id: receivers drop repeats)",
    )
    def resend(self, request: Request, delivery_id: FromPath[UUID]) -> DeliveryOut:
        with _cursor(request, commit=True) as cursor:
            if not (reads.present(cursor) and operator_actions.resend(cursor, delivery_id)):
                raise NotFoundException(f"no delivery {delivery_id}")
            return delivery_out(reads.one(cursor, delivery_id))

    @post(
        "/{delivery_id:uuid}/cancel",
        opt=_OPERATOR,
        sync_to_thread=True,
        status_code=200,
        responses=_CANCEL,
        summary="Give up a pending delivery: the later ones of its lead and target go on",
    )
    def cancel(self, request: Request, delivery_id: FromPath[UUID]) -> DeliveryOut:
        with _cursor(request, commit=True) as cursor:
            before = operator_actions.cancel(cursor, delivery_id) if reads.present(cursor) else None
            if before is None:
                raise NotFoundException(f"no delivery {delivery_id}")
            if before not in ("pending", "cancelled"):
                raise ClientException(
                    f"delivery {delivery_id} is {before.replace('_', ' ')}: only a pending"
                    " delivery can be cancelled",
                    status_code=409,
                )
            return delivery_out(reads.one(cursor, delivery_id))

    @get(
        "/targets",
        sync_to_thread=True,
        summary="The URLs deliveries go to, and their health, by id, paged",
        responses=_ADMIN,
    )
    def list_targets(
        self,
        request: Request,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        cursor: Annotated[
            UUID | None, QueryParameter(description="`next` of the previous page")
        ] = None,
    ) -> TargetPage:
        with _cursor(request) as db:
            rows = reads.targets(db, cursor, limit + 1) if reads.present(db) else []
        more = len(rows) > limit
        rows = rows[:limit]
        return TargetPage([target_out(row) for row in rows], str(rows[-1]["id"]) if more else None)

    @post(
        "/targets/{target_id:uuid}/suspend",
        opt=_OPERATOR,
        sync_to_thread=True,
        status_code=200,
        summary="Suspend a URL: its deliveries wait, none is dropped",
        responses=_ONE,
    )
    def suspend(self, request: Request, target_id: FromPath[UUID]) -> TargetOut:
        target = self._change(request, target_id, operator_actions.suspend)
        log.warning(
            "delivery URL %s suspended by %s (target %s); its deliveries wait",
            target.url, request.scope.get("admin_name"), target.id,
        )  # fmt: skip
        return target

    @post(
        "/targets/{target_id:uuid}/resume",
        opt=_OPERATOR,
        sync_to_thread=True,
        status_code=200,
        responses=_ONE,
        summary="Resume a suspended URL: its waiting deliveries are sent at once",
    )
    def resume(self, request: Request, target_id: FromPath[UUID]) -> TargetOut:
        target = self._change(request, target_id, operator_actions.resume)
        log.warning(
            "delivery URL %s resumed by %s (target %s); %d waiting deliveries are due",
            target.url, request.scope.get("admin_name"), target.id, target.waiting,
        )  # fmt: skip
        return target

    @staticmethod
    def _change(request: Request, target_id: UUID, change) -> TargetOut:
        with _cursor(request, commit=True) as cursor:
            if not (reads.present(cursor) and change(cursor, target_id)):
                raise NotFoundException(f"no delivery target {target_id}")
            return target_out(reads.target(cursor, target_id))
