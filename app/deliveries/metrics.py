"""Delivery figures for `/metrics`, read from the delivery tables at scrape time.

The sender runs in the notifier's process, not in the HTTP workers that answer scrapes: counting
in the database gives the same figures whichever process answers.
"""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily

from projections.deliveries import reads

log = logging.getLogger(__name__)


class DeliveryCollector:
    """Deliveries by outcome, the queue's depth and the age of its oldest undelivered item."""

    def __init__(self, services_of) -> None:
        self._services_of = services_of

    def describe(self):
        return []

    def collect(self):
        try:
            ledger = self._services_of().ledger
            with ledger.recorder.datastore.transaction(commit=False) as cursor:
                figures = reads.figures(cursor)
        except Exception as error:  # a scrape must answer even when the database does not
            log.debug("delivery metrics without the database: %s", error)
            return []
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
