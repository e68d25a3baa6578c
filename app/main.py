"""The composition root: `create_app(settings)` builds the Litestar application.

Tests pass their own `Services` (opened on a test database); `serve` lets the app open its own
from the environment when the first worker starts.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

import eventsourcing.persistence
import msgspec
import psycopg
from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components

from app.admin.lead_routes import LeadController
from app.admin.rates import CatalogRatesController
from app.admin.routes import AdminController
from app.admin.staff_routes import ActionsController, StaffController
from app.audit.export_routes import ExportController
from app.audit.postback_log_routes import PostbackLogController
from app.audit.routes import HistoryController
from app.deliveries.routes import DeliveryController
from app.eventstore.application import DatabaseUnavailable
from app.eventstore.breaker import RETRY_AFTER_SECONDS, means_database_down
from app.holds.routes import HoldController
from app.invoices.routes import InvoiceController
from app.ledger.recalculation_routes import RecalculationController
from app.ledger.routes import LedgerController
from app.openapi.docs import SCHEMA_PATH, OfflineSwagger
from app.openapi.document import SECURITY_SCHEMES, finish_document
from app.openapi.options import allow_every_method
from app.ops.cpu_priority import HTTP_WORKERS_NICE, lower_priority
from app.ops.database_gate import database_gate
from app.ops.draining import Drain, close_connections_when_draining
from app.ops.gc_tuning import tune_garbage_collector
from app.ops.health import HealthController
from app.ops.lifeline import end_with_parent
from app.ops.logs import configure_logging
from app.ops.metrics import Metrics
from app.ops.observability import observe_requests
from app.ops.unread_bodies import drain_unread_bodies
from app.payouts.routes import PayoutController
from app.periods.routes import PeriodController
from app.postbacks.clicks import ClickController
from app.postbacks.fast_path import postback_fast_path
from app.postbacks.resubmit_routes import ResubmitController
from app.postbacks.routes import PostbackController
from app.postbacks.screening import open_screen
from app.reconciliation.page import ReconciliationPage
from app.reconciliation.page_actions import ReconciliationActions
from app.reconciliation.routes import ReconciliationController
from app.services import Services
from app.settings import Settings, ensure_admin_token
from app.staff.actions import record_changes
from app.strict_bodies import strict_json_body
from app.support.page import support_routes, support_templates
from app.support.statement_page import StatementPage
from app.wire import ErrorBody
from projections.eventlog.store import DATABASE_DOWN_ERRORS

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 65_536  # a postback is a few hundred bytes; more is a mistake or an attack


def create_app(settings: Settings | None = None, services: Services | None = None) -> Litestar:
    """Build the app; it opens (and later closes) `Services` itself unless given them."""
    metrics = Metrics(services_of=lambda: app.state.services)
    drain = Drain()

    @asynccontextmanager
    async def lifespan(app: Litestar):
        own = services is None
        opened = services or Services.open(ensure_admin_token(settings or Settings.from_env()))
        app.state.services = opened
        app.state.screen = open_screen(opened)
        finish_document(app)
        if own:
            configure_logging()  # in each server worker: JSON lines with request ids
            opened.start()
            tune_garbage_collector()
            drain.arm(asyncio.get_running_loop())
        try:
            yield
        finally:
            if own:
                opened.close()

    middleware = [
        drain_unread_bodies,
        close_connections_when_draining(drain),
        observe_requests(metrics),
        database_gate,
        record_changes,
    ]
    app = Litestar(
        route_handlers=[
            PostbackController,
            ClickController,
            LeadController,
            LedgerController,
            RecalculationController,
            AdminController,
            PostbackLogController,
            CatalogRatesController,
            HistoryController,
            ResubmitController,
            ExportController,
            DeliveryController,
            ReconciliationController,
            HoldController,
            ReconciliationPage,
            PeriodController,
            PayoutController,
            StatementPage,
            InvoiceController,
            ReconciliationActions,
            *support_routes(),
            StaffController,
            ActionsController,
            HealthController,
        ],
        lifespan=[lifespan],
        middleware=middleware,
        state=State({"metrics": metrics}),
        request_max_body_size=MAX_BODY_BYTES,
        before_request=strict_json_body,
        template_config=support_templates(),
        exception_handlers={
            HTTPException: http_error,
            ValidationException: validation_error,
            **{error: database_down for error in (*DATABASE_DOWN_ERRORS, DatabaseUnavailable)},
            psycopg.DataError: value_refused_by_database,
            # eventsourcing re-raises psycopg's DataError as its own type.
            eventsourcing.persistence.DataError: value_refused_by_database,
            Exception: unexpected_error,
        },
        openapi_config=OpenAPIConfig(
            title="postback-ledger",
            version="0.1.0",
            description="Postbacks in, an audited commission ledger out.",
            path=SCHEMA_PATH,
            render_plugins=[OfflineSwagger()],
            components=Components(security_schemes=SECURITY_SCHEMES),
        ),
    )
    allow_every_method(app)
    postback_fast_path(app, middleware)
    return app


def create_served_app() -> Litestar:
    """What each granian worker of `serve` builds: tied to the server's life first, and behind
    the notifier for the CPU (`app.ops.cpu_priority`)."""
    end_with_parent()
    lower_priority(HTTP_WORKERS_NICE)
    return create_app()


def _json(body: ErrorBody, status: int, headers: dict | None = None) -> Response:
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "request_too_large",
          422: "unprocessable"}  # fmt: skip


def http_error(_: Request, error: HTTPException) -> Response:
    code = _CODES.get(error.status_code, "error")
    return _json(ErrorBody(code, str(error.detail)), error.status_code, error.headers)


def validation_error(_: Request, error: ValidationException) -> Response:
    details = "; ".join(
        f"{item.get('key', '?')}: {item.get('message', '')}"
        for item in (error.extra or [])
        if isinstance(item, dict)
    )
    return _json(ErrorBody("invalid_parameter", details or str(error.detail)), 400)


def database_down(request: Request, error: Exception) -> Response:
    """503 with Retry-After; the breaker opens, so the next requests need not try."""
    log.warning("database unavailable: %s", error)
    services = getattr(request.app.state, "services", None)
    if services is not None and means_database_down(error):
        services.breaker.trip(error)
    return _json(
        ErrorBody("database_unavailable", "the database is unavailable; retry"),
        503,
        {"Retry-After": RETRY_AFTER_SECONDS},
    )


def value_refused_by_database(_: Request, error: Exception) -> Response:
    """A value PostgreSQL cannot hold (a NUL character, an out-of-range number): bad input."""
    log.info("a request value was refused by the database: %s", error)
    message = "a parameter holds a value the database cannot store (such as a NUL character)"
    return _json(ErrorBody("invalid_parameter", message), 400)


def unexpected_error(request: Request, error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _json(ErrorBody("internal_error", "an unexpected error; it has been logged"), 500)
