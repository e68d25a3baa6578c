"""Liveness, readiness and metrics endpoints, for load balancers and Prometheus.

`/health/live` answers while the process serves. `/health/ready` answers 200 only when the
event store is reachable, every projection is within `LEDGER_READY_MAX_LAG` events of it,
no follower process of `serve` keeps failing (`app.ops.follower_health`) and, with
`LEDGER_REQUIRE_SYNC_STANDBY=1`, the primary has a synchronous standby; otherwise 503, so a
balancer sends traffic elsewhere until this process can serve reads too.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg import sql

from app.ops.follower_health import failing
from app.ops.sync_standby import sync_standby_problem
from projections.runner import tracked_positions


class Readiness(msgspec.Struct):
    status: str
    event_store_position: int | None = None
    projection_lag: dict[str, int] = {}
    problems: list[str] = []


def projection_positions(services) -> tuple[int, dict[str, int]]:
    """(last stored event position, position of each of the runner's projections)."""
    names = services.runner.projection_names
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        latest = cursor.execute(
            sql.SQL("SELECT coalesce(max(notification_id), 0) AS latest FROM {}").format(
                sql.Identifier(services.ledger.events_table)
            )
        ).fetchone()["latest"]
        return latest, tracked_positions(cursor, names)


def readiness(services) -> Readiness:
    try:
        latest, positions = projection_positions(services)
    except Exception as error:  # whatever the database says, the answer is "not ready"
        return Readiness("not_ready", problems=[f"event store unreachable: {type(error).__name__}"])
    lag = {name: max(0, latest - at) for name, at in positions.items()}
    limit = services.settings.ready_max_lag
    problems = [
        f"{name} is {behind} events behind (limit {limit})"
        for name, behind in lag.items()
        if behind > limit
    ]
    if services.settings.require_sync_standby:
        problems += standby_problems(services)
    problems += [
        f"the {name} process keeps failing ({detail})"
        for name, detail in failing(services.settings.data_dir).items()
    ]
    return Readiness("not_ready" if problems else "ready", latest, lag, problems)


def standby_problems(services) -> list[str]:
    """LEDGER_REQUIRE_SYNC_STANDBY: not ready while commits would not wait for a standby."""
    try:
        with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
            problem = sync_standby_problem(cursor)
    except Exception as error:  # whatever the database says, the answer is "not ready"
        return [f"synchronous standby unknown: {type(error).__name__}"]
    return [problem] if problem else []


class HealthController(Controller):
    """Probes and metrics; no token, no secrets in the answers."""

    tags = ["operations"]

    @get("/health/live", summary="The process is serving")
    async def live(self) -> dict[str, str]:
        return {"status": "live"}

    @get(
        "/health/ready",
        sync_to_thread=True,
        summary="Database reachable, projections current",
        responses={
            503: ResponseSpec(
                Readiness,
                description="Not ready; see `problems`",
                generate_examples=False,
                examples=[
                    Example(
                        summary="A projection lags",
                        value={
                            "status": "not_ready",
                            "event_store_position": 250000,
                            "projection_lag": {"ledger": 12000},
                            "problems": ["ledger is 12000 events behind (limit 10000)"],
                        },
                    )  # fmt: skip
                ],
            )
        },
    )
    def ready(self, request: Request) -> Response[Readiness]:
        answer = readiness(request.app.state.services)
        status = 200 if answer.status == "ready" else 503
        headers = {} if status == 200 else {"Retry-After": "5"}
        return Response(answer, status_code=status, headers=headers)

    @get("/metrics", sync_to_thread=True, summary="Prometheus metrics", include_in_schema=False)
    def metrics(self, request: Request) -> Response[bytes]:
        body = generate_latest(request.app.state.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
