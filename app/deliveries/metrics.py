"""Delivery figures for `/metrics`, read from the delivery tables at scrape time
(`app.scraped_metrics` says why)."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from app.scraped_metrics import ScrapedFromDatabase
from projections.deliveries import reads


class DeliveryCollector(ScrapedFromDatabase):
    """Deliveries by outcome, the queue's depth and the age of its oldest undelivered item."""

    name = "delivery"

    def read(self, cursor):
        return reads.figures(cursor)

    def families(self, figures):
        by_state = GaugeMetricFamily(
            "ledger_deliveries", "Deliveries to webmasters by outcome", labels=["state"]
        )
        for state in reads.STATES:
            by_state.add_metric([state], figures["by_state"].get(state, 0))
        depth = GaugeMetricFamily(
            "ledger_delivery_queue_depth", "Deliveries not yet delivered or failed"
        )
        depth.add_metric([], figures["queue_depth"])
        oldest = GaugeMetricFamily(
            "ledger_delivery_oldest_undelivered_seconds",
            "Age of the oldest delivery still waiting to be delivered",
        )
        oldest.add_metric([], figures["oldest_undelivered_seconds"])
        return [by_state, depth, oldest]
