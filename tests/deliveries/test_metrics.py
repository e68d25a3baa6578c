"""Operators see deliveries by outcome, the queue's depth and its oldest item at /metrics."""

from __future__ import annotations

from tests.delivery_controls import configure, notifying, postbacks_toml, receiving, settled
from tests.ledger_controls import created_lead


def test_metrics_count_deliveries_by_outcome_and_the_queue(demo, services):
    with receiving((404, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="counted")
        settled(demo, 1, state="failed")
    text = demo.get("/metrics").text
    assert 'ledger_deliveries{state="failed"} 1.0' in text
    assert 'ledger_deliveries{state="delivered"} 0.0' in text
    assert "ledger_delivery_queue_depth 0.0" in text
    assert "ledger_delivery_oldest_undelivered_seconds 0.0" in text
