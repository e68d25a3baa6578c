"""The write path's shortcuts: batch loading, the aggregate cache, records made as events."""

from __future__ import annotations

from uuid import UUID

from app.eventstore.application import LedgerApplication
from app.postbacks.processing import (
    CREATION,
    STATUS_CHANGE,
    PostbackRequest,
    PostbackResult,
)
from domain.postback import Postback
from domain.statuses import Status
from tests.controls import SITE_TOKEN, change, create, new_click


def _request(endpoint: str, **params: str) -> PostbackRequest:
    params = {"token": SITE_TOKEN, **params}
    return PostbackRequest(
        endpoint=endpoint,
        method="GET",
        params=params,
        raw_params={k: [v] for k, v in params.items()},
        source_ip="127.0.0.1",
        request_id="test",
    )


def test_a_lead_changed_by_another_writer_is_decided_on_its_newest_state(demo, services, database):
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    assert change(demo, click=click, status="hold").json()["outcome"] == "changed"  # now cached
    other = LedgerApplication(env=database.eventsourcing_env(pool_size=1))
    lead = other.repository.get(UUID(lead_id))
    lead.change_status(lead.last_postback_id, Status.APPROVE, "approve")
    other.save(lead)
    other.close()

    answer = change(demo, click=click, status="processing").json()

    assert answer["outcome"] == "ignored"


def test_a_batch_of_status_changes_reads_all_its_aggregates_in_one_query(demo, services):
    clicks = [new_click(demo) for _ in range(5)]
    for click in clicks:
        create(demo, click=click)
    loader = services.processor.loader
    loader.forget(list(loader._cache))
    loads = []
    original = loader.load
    loader.load = lambda ids: loads.append(list(ids)) or original(ids)

    results = services.processor.process(
        [_request(STATUS_CHANGE, click=click, status="approve") for click in clicks]
    )

    assert [r.outcome for r in results] == ["changed"] * 5
    assert len([ids for ids in loads if ids]) == 1


def test_later_postbacks_of_a_batch_see_what_earlier_ones_did(demo, services):
    click = new_click(demo)

    results = services.processor.process(
        [
            _request(CREATION, click=click),
            _request(STATUS_CHANGE, click=click, status="approve"),
            _request(STATUS_CHANGE, click=click, status="hold"),
        ]
    )

    assert [r.outcome for r in results] == ["created", "changed", "ignored"]


def test_a_postback_record_is_stored_as_the_postback_aggregate_would_store_it(services):
    request = _request(STATUS_CHANGE, click="c1", status="hold", note='é \u2028 \x00 "{x}"')
    result = PostbackResult(Postback.new_id(), 200, "changed", Postback.new_id())
    made = services.processor._record(request, result)
    by_hand = Postback(
        id=result.postback_id, endpoint=request.endpoint, method=request.method,
        params=request.raw_params, source_ip=request.source_ip,
        received_at=request.received_at, request_id=request.request_id, outcome="changed",
        error=None, message=None, http_status=200, lead_id=result.lead_id, resubmit_of=None,
    ).pending_events[0]  # fmt: skip
    mapper = services.ledger.mapper
    # The same moment as the record's, which was taken when it was made.
    object.__setattr__(by_hand, "timestamp", mapper.transcoder.decode(made.state)["timestamp"])

    assert made == mapper.to_stored_event(by_hand)
