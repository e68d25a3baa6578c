"""Hold figures for `/metrics`, read from the holds tables at scrape time.

The follower runs in a process of its own, not in the HTTP workers that answer scrapes: read
from the database, the figures are the same whichever process answers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from projections.holds import reads

log = logging.getLogger(__name__)


class HoldCollector:
    """Holds running, releases by outcome, and how late the oldest due hold is."""

    def __init__(self, services_of) -> None:
        self._services_of = services_of

    def describe(self):
        return []

    def collect(self):
        try:
            ledger = self._services_of().ledger
            with ledger.recorder.datastore.transaction(commit=False) as cursor:
                figures = reads.figures(cursor, datetime.now(UTC))
        except Exception as error:  # a scrape must answer even when the database does not
            log.debug("hold metrics without the database: %s", error)
            return []
        running = GaugeMetricFamily("ledger_holds_running", "Leads on hold that a rule will end")
        running.add_metric([], figures["running"])
        released = CounterMetricFamily(
            "ledger_hold_releases", "Holds ended by their rule, by outcome", labels=["outcome"]
        )
        for outcome in ("approve", "cancel"):
            released.add_metric([outcome], figures["released"].get(outcome, 0))
        delay = GaugeMetricFamily(
            "ledger_hold_oldest_due_delay_seconds",
            "How long the oldest hold past its time has waited for its release (0: none)",
        )
        delay.add_metric([], figures["oldest_due_delay_seconds"])
        return [running, released, delay]
