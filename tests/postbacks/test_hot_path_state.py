"""The write path's state and stored bytes agree with eventsourcing's own, over random workloads.

The group commit loads aggregates through its own decoder and cache and stores events through
its own encoder (`app.eventstore.encoding`), records without event objects. Here a seeded random
workload of postbacks, decided by two processors that race for the same leads (so batches
conflict and are decided again), is loaded back through the library's own repository and mapper:
every lead must be what the library makes of the stored events, and every stored event the bytes
the library's mapper would write for it.
"""

from __future__ import annotations

import random

import psycopg
import pytest
from eventsourcing.persistence import Notification

from app.postbacks.catalog_cache import CatalogCache
from app.postbacks.processing import CREATION, STATUS_CHANGE, PostbackProcessor, PostbackRequest
from tests.controls import SITE_TOKEN, new_click

_STATUSES = ("hold", "processing", "approve", "cancel", "trash", "pending", "weird")


def _random_request(rng: random.Random, clicks: list[str], serial: int) -> PostbackRequest:
    click = rng.choice(clicks)
    draw = rng.random()
    if draw < 0.25:
        endpoint, params = CREATION, {"click": click}
    elif draw < 0.35:
        endpoint, params = CREATION, {"flow": "101", "exto": f"x{rng.randint(1, 6)}"}
    else:
        endpoint, params = STATUS_CHANGE, {"click": click, "status": rng.choice(_STATUSES)}
        if rng.random() < 0.3:
            params["goal"] = rng.choice(["reg", "dep", "nope"])
        if rng.random() < 0.3:
            params["pay"] = f"{rng.randint(1, 90)}.{rng.randint(10, 99)}"
        if rng.random() < 0.1:
            params["auto"] = "1"
    params = {"token": SITE_TOKEN, **params, "note": rng.choice(["", "é", "\u2028", '"q"'])}
    return PostbackRequest(
        endpoint=endpoint,
        method="GET",
        params=params,
        raw_params={k: [v] for k, v in params.items()},
        source_ip="127.0.0.1",
        request_id=f"r{serial}",
    )


@pytest.mark.parametrize("seed", [1, 27, 2026])
def test_every_lead_of_a_random_workload_is_what_the_library_loads(demo, services, seed):
    rng = random.Random(seed)
    clicks = [new_click(demo) for _ in range(8)]
    first = services.processor
    second = PostbackProcessor(services.ledger, CatalogCache(services.ledger))  # a racing writer
    leads = set()
    for serial in range(40):
        batch = [_random_request(rng, clicks, serial * 10 + n) for n in range(rng.randint(1, 8))]
        for result in rng.choice([first, second]).process(batch):
            if result.lead_id is not None:
                leads.add(result.lead_id)

    library = services.ledger.repository
    for processor in (first, second):
        loaded = processor.loader.load(leads)
        for lead_id in leads:
            assert _state(loaded[lead_id]) == _state(library.get(lead_id))
    assert len(leads) > 5


def test_every_stored_event_is_the_bytes_the_library_mapper_writes(demo, services):
    rng = random.Random(5)
    clicks = [new_click(demo) for _ in range(5)]
    for serial in range(20):
        services.processor.process(
            [_random_request(rng, clicks, serial * 10 + n) for n in range(6)]
        )

    mapper = services.ledger.mapper
    with psycopg.connect(services.address.conninfo()) as connection:
        rows = connection.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM ledger_events ORDER BY notification_id"
        ).fetchall()
    for row in rows:
        stored = Notification(*row[1:4], state=bytes(row[4]), id=row[0])
        again = mapper.to_stored_event(mapper.to_domain_event(stored))
        assert (again.topic, again.state) == (stored.topic, stored.state)
    assert {row[3].rsplit(":", 1)[1] for row in rows} >= {"Postback.Received", "Lead.Created"}


def _state(aggregate) -> dict:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
