"""Support sees what a webmaster was sent under the event that caused it, attempt by attempt."""

from __future__ import annotations

import html

from tests.controls import ADMIN
from tests.delivery_controls import configure, notifying, postbacks_toml, receiving, settled
from tests.fault_controls import wait_until
from tests.ledger_controls import changed, created_lead
from tests.support.test_page import logged_in


def test_the_lead_history_shows_each_delivery_under_its_event_with_every_attempt(demo, services):
    with receiving((503, {}), (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?st={status}"), events=["approve"]))
        lead_id, _ = created_lead(demo, exto="seen")
        changed(demo, exto="seen", status="approved")
        [delivery] = settled(demo, 1)
    history = demo.get(f"/api/leads/{lead_id}/history", headers=ADMIN).json()
    events = [event for step in history["steps"] for event in step["events"]]
    sent = {event["type"]: event["sent"] for event in events}
    assert sent["Lead.Created"] == []
    [approval] = sent["Lead.StatusChanged"]
    assert approval["delivery"]["id"] == delivery["id"]
    assert [a["http_status"] for a in approval["attempt_log"]] == [503, 200]


def test_the_support_timeline_says_where_each_delivery_stands_under_its_event(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?st={status}")))
        lead_id, _ = created_lead(demo, exto="page")
        settled(demo, 1)
    logged_in(demo)
    page = html.unescape(demo.get(f"/support/leads/{lead_id}").text)
    created = page.index("Lead created in status new")
    sent = page.index("↳ To webmaster wm-1 (created)")
    assert created < sent and "received (HTTP 200)" in page[sent:]
    assert "attempt 1: HTTP 200" in page[sent:]


def test_the_timeline_never_says_sent_for_a_delivery_not_yet_sent(demo, services):
    later = (500, {"Retry-After": "3600"})
    with receiving(later) as receiver:
        configure(demo, postbacks_toml(receiver.url("/pb?st={status}")))
        lead_id, _ = created_lead(demo, exto="queued")
        changed(demo, exto="queued", status="approved")
        logged_in(demo)
        page = html.unescape(demo.get(f"/support/leads/{lead_id}").text)
        assert "Sent to webmaster" not in page  # no notifier yet: nothing queued, nothing said
        with notifying(services):
            settled(demo, 1, state="pending")
            assert wait_until(lambda: receiver.received, 30)
            assert wait_until(lambda: "retry at" in _page(demo, lead_id), 30)
            page = _page(demo, lead_id)
    assert "(created): " in page and "failed (HTTP 500), retry at" in page
    assert "(approve): " in page and " — queued" in page  # held back behind the first


def _page(client, lead_id: str) -> str:
    return html.unescape(client.get(f"/support/leads/{lead_id}").text)
