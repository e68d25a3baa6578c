"""Postbacks at the same moment: one lead per pair, and every change of a lead applied, none lost.

Three kinds of simultaneity, because each takes another path through the writer: postbacks in the
same batch (decided one after the other against the same loaded aggregates), postbacks in batches
of two processes that both decided before either saved (a version conflict in the event store,
then a retry), and real HTTP requests racing into a two-worker server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from app.postbacks.parsing import parse_parameters
from app.postbacks.processing import CREATION, STATUS_CHANGE, PostbackRequest
from app.postbacks.writer import PostbackWriter
from app.services import Services
from domain.identity import click_aggregate_id
from tests.checks import accepted, stored_postbacks
from tests.controls import SITE_TOKEN, create, new_click
from tests.servers import running_server

PARALLEL = 20


def postback(endpoint: str, **params: str) -> PostbackRequest:
    """A parsed postback as the HTTP handler hands it to the writer."""
    query = "&".join(f"{name}={value}" for name, value in {"token": SITE_TOKEN, **params}.items())
    parsed = parse_parameters(query.encode(), b"", "")
    return PostbackRequest(endpoint, "GET", parsed.values, parsed.recorded, "127.0.0.1", "test")


def write_in_one_batch(services: Services, requests: list[PostbackRequest]) -> tuple[list, int]:
    """Submit all requests before the writer starts, so its first batch takes them all."""
    writer = PostbackWriter(services.processor)

    async def submit_all():
        pending = [asyncio.ensure_future(writer.submit(request)) for request in requests]
        await asyncio.sleep(0)  # every submit has queued its postback
        writer.start()
        return await asyncio.gather(*pending)

    try:
        return asyncio.run(submit_all()), writer.batches
    finally:
        writer.stop()


@pytest.fixture
def second_process(settings, database, demo) -> Iterator[Services]:
    """Another service on the same database, as a second server process would be."""
    other = Services.open(settings, database)
    yield other
    other.ledger.close()


def save_after_both_decided(*services: Services) -> list[int]:
    """Hold each service's first save until all have decided: their batches then race.

    Returns the save attempts (by service), which grow as they happen: more attempts than
    services means one lost the race and was decided and saved again.
    """
    barrier = threading.Barrier(len(services), timeout=20)
    attempts: list[int] = []
    for number, service in enumerate(services):
        # The group commit saves through `append` (app.eventstore.saving).
        service.ledger.append = _held_save(service.ledger.append, number, barrier, attempts)
    return attempts


def _held_save(real_save, number: int, barrier: threading.Barrier, attempts: list[int]):
    def save(*aggregates, **options):
        first = number not in attempts
        attempts.append(number)
        if first:
            barrier.wait()
        return real_save(*aggregates, **options)

    return save


def in_parallel(calls) -> list:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def test_two_identical_creations_in_one_batch_make_one_lead(demo, services):
    click = new_click(demo)

    results, batches = write_in_one_batch(
        services, [postback(CREATION, click=click, exto="o-1") for _ in range(2)]
    )

    assert batches == 1
    assert [r.outcome for r in results] == ["created", "duplicate"]
    assert results[0].lead_id == results[1].lead_id
    assert services.ledger.repository.get(results[0].lead_id).version == 1
    assert len(services.ledger.repository.get(click_aggregate_id(click)).leads) == 1


def test_two_identical_creations_racing_from_two_processes_make_one_lead(
    demo, services, second_process
):
    click = new_click(demo)
    request = postback(CREATION, click=click, exto="o-1")
    attempts = save_after_both_decided(services, second_process)

    results = in_parallel(
        [
            lambda: services.processor.process([request])[0],
            lambda: second_process.processor.process([request])[0],
        ]
    )

    assert len(attempts) == 3  # they did race: the loser was decided and saved again
    assert sorted(r.outcome for r in results) == ["created", "duplicate"]
    assert results[0].lead_id == results[1].lead_id
    assert services.ledger.repository.get(results[0].lead_id).version == 1
    assert len(services.ledger.repository.get(click_aggregate_id(click)).leads) == 1
    rows = stored_postbacks(demo, services, click=click)
    assert sorted(row["outcome"] for row in rows) == ["created", "duplicate"]


def test_two_status_changes_racing_from_two_processes_are_both_applied(
    demo, services, second_process
):
    click = new_click(demo)
    lead_id = UUID(accepted(create(demo, click=click))["id"])
    attempts = save_after_both_decided(services, second_process)

    results = in_parallel(
        [
            lambda: services.processor.process([postback(STATUS_CHANGE, click=click, pay="1")])[0],
            lambda: second_process.processor.process(
                [postback(STATUS_CHANGE, click=click, wm="2")]
            )[0],
        ]
    )

    assert len(attempts) == 3
    assert [r.outcome for r in results] == ["changed", "changed"]
    lead = services.ledger.repository.get(lead_id)
    assert lead.version == 3
    assert lead.advertiser_payout_override.amount == 1
    assert lead.webmaster_commission_override.amount == 2


def test_twenty_status_postbacks_in_one_batch_all_become_events_in_order(demo, services):
    click = new_click(demo)
    lead_id = UUID(accepted(create(demo, click=click))["id"])
    words = ["hold", "pending", "new"]
    requests = [
        postback(STATUS_CHANGE, click=click, status=words[i % 3], pay=str(i + 1))
        for i in range(PARALLEL)
    ]

    results, batches = write_in_one_batch(services, requests)

    assert batches == 1
    assert [r.outcome for r in results] == ["changed"] * PARALLEL
    events = list(services.ledger.events.get(lead_id))
    assert {e.postback_id for e in events[1:]} == {r.postback_id for r in results}
    lead = services.ledger.repository.get(lead_id)
    assert (lead.status.value, lead.advertiser_payout_override.amount) == ("processing", 20)


@pytest.fixture
def two_workers(database, tmp_path, services):
    """A real two-process server on this test's database (the demo catalog applied)."""
    with running_server(database, tmp_path / "server", workers=2) as server:
        yield server


def test_twenty_concurrent_status_postbacks_over_http_all_become_events(services, two_workers):
    with two_workers.client() as http:
        click = new_click(http)
        lead_id = accepted(create(http, click=click))["id"]
        start = threading.Barrier(PARALLEL, timeout=20)

        def send(i: int):
            start.wait()
            words = ["hold", "pending", "new"]
            params = {
                "token": SITE_TOKEN,
                "click": click,
                "status": words[i % 3],
                "pay": str(i + 1),
            }
            with two_workers.client() as own:
                return own.get("/api/site/status.json", params=params)

        responses = in_parallel([lambda i=i: send(i) for i in range(PARALLEL)])

    bodies = [accepted(response) for response in responses]
    assert [body["outcome"] for body in bodies] == ["changed"] * PARALLEL
    events = list(services.ledger.events.get(UUID(lead_id)))
    lead = services.ledger.repository.get(UUID(lead_id))
    assert lead.version == len(events) >= PARALLEL + 1
    with two_workers.client() as http:
        changes = stored_postbacks(http, services, click=click, outcome="changed")
    assert len(changes) == PARALLEL
    assert {str(e.postback_id) for e in events[1:]} == {row["id"] for row in changes}
    last = max(changes, key=lambda row: row["position"])
    assert lead.advertiser_payout_override.amount == int(last["params"]["pay"][0])


def test_identical_creations_over_http_at_the_same_moment_make_one_lead(services, two_workers):
    with two_workers.client() as http:
        click = new_click(http)
    start = threading.Barrier(PARALLEL, timeout=20)

    def send():
        start.wait()
        with two_workers.client() as own:
            return own.get(
                "/api/site/click.json", params={"token": SITE_TOKEN, "click": click, "exto": "x"}
            )

    bodies = [accepted(r) for r in in_parallel([send] * PARALLEL)]

    assert len({body["id"] for body in bodies}) == 1
    assert sorted(body["outcome"] for body in bodies).count("created") == 1
    assert services.ledger.repository.get(UUID(bodies[0]["id"])).version == 1
    assert len(services.ledger.repository.get(click_aggregate_id(click)).leads) == 1
