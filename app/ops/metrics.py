"""Prometheus metrics at `/metrics`: postbacks by endpoint and outcome, latency, projections.

Each app has its own registry (tests build many apps in one process). Counters are per server
process: with several workers, scrape each or sum them. The projection figures are read from
the database when scraped, so they are right whatever process runs the projections.
`REBUILD_PROGRESS` is one process-wide gauge that a rebuild sets as it goes.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from app.deliveries.metrics import DeliveryCollector
from app.holds.metrics import HoldCollector

log = logging.getLogger(__name__)

REBUILD_PROGRESS = Gauge(
    "ledger_rebuild_progress_ratio",
    "Share of the event store a running rebuild has replayed (0..1)",
    ["projection"],
    registry=None,
)
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics; `observe_request` is called once per HTTP request."""

    def __init__(self, services_of=None) -> None:
        self.registry = CollectorRegistry()
        self.postbacks = Counter(
            "ledger_postbacks_total",
            "Postbacks answered, by endpoint, outcome and error code",
            ["endpoint", "outcome", "error"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ledger_http_request_duration_seconds",
            "Time to answer an HTTP request, by route group and status",
            ["route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Each label set's child, kept: `labels()` checks and hashes its arguments under a lock
        # on every call, two calls per postback (issue 27). The label sets are few and fixed.
        self._postback_children: dict[tuple, Any] = {}
        self._latency_children: dict[tuple, Any] = {}
        self.registry.register(REBUILD_PROGRESS)
        if services_of is not None:
            self.registry.register(ProjectionCollector(services_of))
            self.registry.register(DeliveryCollector(services_of))
            self.registry.register(HoldCollector(services_of))

    def observe_postback(self, endpoint: str, outcome: str, error: str | None) -> None:
        key = (endpoint, outcome, error or "")
        child = self._postback_children.get(key)
        if child is None:
            child = self._postback_children[key] = self.postbacks.labels(*key)
        child.inc()

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        key = (route, status)
        child = self._latency_children.get(key)
        if child is None:
            child = self._latency_children[key] = self.latency.labels(route, str(status))
        child.observe(seconds)


class ProjectionCollector:
    """Projection position and lag behind the event store, read at scrape time."""

    def __init__(self, services_of) -> None:
        self._services_of = services_of

    def describe(self):
        return []

    def collect(self):
        up = GaugeMetricFamily("ledger_database_up", "1 when the event store answered the scrape")
        position = GaugeMetricFamily(
            "ledger_projection_position", "Last event position applied", labels=["projection"]
        )
        lag = GaugeMetricFamily(
            "ledger_projection_lag_events", "Events not yet applied", labels=["projection"]
        )
        head = GaugeMetricFamily("ledger_event_store_position", "Last event position stored")
        try:
            from app.ops.health import projection_positions

            latest, positions = projection_positions(self._services_of())
        except Exception as error:  # a scrape must answer even when the database does not
            log.debug("metrics scrape without the database: %s", error)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        head.add_metric([], latest)
        for name, at in positions.items():
            position.add_metric([name], at)
            lag.add_metric([name], max(0, latest - at))
        return [up, head, position, lag]


def publishing_rebuild_progress(progress, target: str):
    """Wrap a rebuild's `progress(done, total)` so that it also sets `REBUILD_PROGRESS`."""
    gauge = REBUILD_PROGRESS.labels(projection=target)

    def report(done: int, total: int) -> None:
        gauge.set(done / total if total else 1.0)
        progress(done, total)

    return report
