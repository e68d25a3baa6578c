"""The delivery log tells the whole truth: every delivery reachable page by page, an attempt
recorded before it is sent, suspension honoured by deliveries already claimed, retries timed
from the end of an attempt."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from tests.controls import ADMIN
from tests.delivery_controls import (
    FAST,
    configure,
    deliveries,
    detail,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.fault_controls import wait_until
from tests.ledger_controls import created_lead


def _pages(client, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/deliveries", params=query, headers=ADMIN)
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next"]
        if cursor is None:
            return pages


def test_the_delivery_log_pages_over_everything_in_a_stable_order(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}")))
        for n in range(7):
            created_lead(demo, exto=f"paged-{n}")
        settled(demo, 7)
    pages = _pages(demo, limit=3)
    items = [item for page in pages for item in page]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert len({item["id"] for item in items}) == 7
    keys = [(item["queued_at"], item["position"], item["id"]) for item in items]
    assert keys == sorted(keys, reverse=True)
    assert all(isinstance(item["position"], int) for item in items)
    assert [i["id"] for p in _pages(demo, limit=3) for i in p] == [i["id"] for i in items]
    bad = demo.get("/api/deliveries", params={"cursor": "nonsense"}, headers=ADMIN)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_parameter"


def test_an_attempt_is_recorded_before_it_is_sent(demo, services):
    with receiving("hold") as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="in-flight")
        received_within(receiver, 1)
        [delivery] = deliveries(demo)
        [attempt] = detail(demo, delivery["id"])["attempt_log"]
        assert attempt["outcome"] == "sending" and attempt["http_status"] is None
        receiver.release.set()
        settled(demo, 1)
    [attempt] = detail(demo, delivery["id"])["attempt_log"]
    assert (attempt["outcome"], attempt["http_status"]) == ("delivered", 200)


def test_suspending_a_url_stops_the_deliveries_already_claimed_for_it(demo, services):
    one_at_a_time = dataclasses.replace(FAST, per_host=1)
    with receiving("hold", (200, {})) as receiver, notifying(services, one_at_a_time):
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}")))
        for n in range(5):  # five leads: nothing holds them back but the one slot
            created_lead(demo, exto=f"claimed-{n}")
        received_within(receiver, 1)
        [target] = demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"]
        suspended = demo.post(f"/api/deliveries/targets/{target['id']}/suspend", headers=ADMIN)
        assert suspended.status_code == 200
        receiver.release.set()  # the one in flight ends; the others must not go out
        settled(demo, 1)

        def withheld() -> bool:  # claimed ones given back, as if never claimed
            found = deliveries(demo, state="suspended")
            return len(found) == 4 and all(d["attempts"] == 0 for d in found)

        assert wait_until(withheld, 30), deliveries(demo)
        waiting = deliveries(demo, state="suspended")
    assert len(receiver.received) == 1
    assert all(detail(demo, d["id"])["attempt_log"] == [] for d in waiting)


def test_a_retry_waits_from_the_end_of_an_attempt_not_its_start(demo, services):
    quick_timeout = dataclasses.replace(FAST, total_timeout=1.0, max_attempts=2)
    with receiving("slow", (200, {})) as receiver, notifying(services, quick_timeout):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="late")
        [delivery] = settled(demo, 1)
    timed_out = detail(demo, delivery["id"])["attempt_log"][0]
    started = datetime.fromisoformat(timed_out["at"])
    retry_at = datetime.fromisoformat(timed_out["next_attempt_at"])
    ended_after = timed_out["duration_ms"] / 1000
    assert (retry_at - started).total_seconds() >= ended_after + 0.75 * FAST.retry_base
