"""Hold figures for `/metrics`, read from the holds tables at scrape time
(`app.scraped_metrics` says why)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from app.scraped_metrics import ScrapedFromDatabase
from projections.holds import reads


class HoldCollector(ScrapedFromDatabase):
    """Holds running, releases by outcome, and how late the oldest due hold is."""

    name = "hold"

    def read(self, cursor):
        return reads.figures(cursor, datetime.now(UTC))

    def families(self, figures):
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
