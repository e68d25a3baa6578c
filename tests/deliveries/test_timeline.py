"""Support sees what a webmaster was sent under the event that caused it, attempt by attempt."""

from __future__ import annotations

import html

from tests.controls import ADMIN
from tests.delivery_controls import configure, notifying, postbacks_toml, receiving, settled
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


def test_the_support_timeline_has_a_sent_to_webmaster_line_under_the_event(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?st={status}")))
        lead_id, _ = created_lead(demo, exto="page")
        settled(demo, 1)
    logged_in(demo)
    page = html.unescape(demo.get(f"/support/leads/{lead_id}").text)
    created = page.index("Lead created in status new")
    sent = page.index("↳ Sent to webmaster wm-1 (created)")
    assert created < sent and "attempt 1: HTTP 200" in page[sent:]
