"""Order per lead: for one lead and one target, a delivery is sent only after the one before it
(in the lead's event order) was delivered, finally failed or cancelled. Other leads keep flowing.
"""

from __future__ import annotations

from tests.controls import ADMIN, lead
from tests.delivery_controls import (
    configure,
    deliveries,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.delivery_order_controls import CHANGES, EVENTS, Tracker, json_target_toml
from tests.fault_controls import wait_until
from tests.ledger_controls import changed, created_lead

LEADS = 200


def test_each_leads_events_reach_a_failing_slow_tracker_in_order(demo, services):
    tracker = Tracker().start()
    try:
        with notifying(services):
            configure(demo, json_target_toml(tracker.url()))
            leads = {}
            for n in range(LEADS):  # each lead's five events in quick succession
                lead_id, _ = created_lead(demo, exto=f"order-{n}")
                for change in CHANGES:
                    changed(demo, exto=f"order-{n}", **change)
                leads[lead_id] = n
            assert wait_until(lambda: _all_heard(demo, tracker, leads), 240), tracker.arrived
    finally:
        tracker.stop()
    assert set(tracker.arrived) == set(leads)
    assert tracker.out_of_order(EVENTS) == {}
    assert tracker.requests > LEADS * len(EVENTS)  # some first attempts failed and were retried
    for lead_id in leads:
        assert tracker.last_status(lead_id) == lead(demo, lead_id)["status"] == "cancel"


def _all_heard(client, tracker: Tracker, leads) -> bool:
    """Every lead's last event arrived and nothing is left to send (or to retry)."""
    return tracker.all_ended_with(leads, "cancel") and deliveries(client, state="pending") == []


def _paths(receiver) -> list[str]:
    return [r.path for r in receiver.received]


def test_a_delivery_waiting_for_a_retry_holds_back_only_its_own_leads_later_ones(demo, services):
    later = (500, {"Retry-After": "3600"})  # the first request waits an hour for its retry
    with receiving(later, (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}&st={status}")))
        created_lead(demo, exto="a")
        changed(demo, exto="a", status="hold")
        received_within(receiver, 1)
        created_lead(demo, exto="b")
        settled(demo, 1)  # lead b flows past lead a's waiting delivery
        waiting = {d["event"]: d for d in deliveries(demo, state="pending")}
        assert _paths(receiver) == ["/pb?exto=a&st=new", "/pb?exto=b&st=new"]
        assert waiting["hold"]["attempts"] == 0  # never sent before its predecessor ended
        resent = demo.post(f"/api/deliveries/{waiting['created']['id']}/resend", headers=ADMIN)
        assert resent.status_code == 200, resent.text
        settled(demo, 3)
    assert _paths(receiver)[2:] == ["/pb?exto=a&st=new", "/pb?exto=a&st=hold"]


def test_a_cancelled_delivery_lets_the_later_ones_of_its_lead_go(demo, services):
    later = (500, {"Retry-After": "3600"})
    with receiving(later, (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}&st={status}")))
        created_lead(demo, exto="c")
        changed(demo, exto="c", status="approved")
        received_within(receiver, 1)
        [waiting] = [d for d in deliveries(demo) if d["event"] == "created"]
        cancelled = demo.post(f"/api/deliveries/{waiting['id']}/cancel", headers=ADMIN)
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
        settled(demo, 1)
        again = demo.post(f"/api/deliveries/{waiting['id']}/cancel", headers=ADMIN)
        [approved] = deliveries(demo, state="delivered")
        refused = demo.post(f"/api/deliveries/{approved['id']}/cancel", headers=ADMIN)
    assert _paths(receiver) == ["/pb?exto=c&st=new", "/pb?exto=c&st=approve"]
    assert again.status_code == 200  # cancelling twice changes nothing
    assert refused.status_code == 409 and refused.json()["error"] == "conflict"


def test_a_resent_old_delivery_is_marked_as_a_resend_and_as_superseded(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?st={status}")))
        created_lead(demo, exto="old")
        changed(demo, exto="old", status="approved")
        settled(demo, 2)
        created, approved = sorted(deliveries(demo), key=lambda d: d["event"] != "created")
        for delivery in (created, approved):
            resent = demo.post(f"/api/deliveries/{delivery['id']}/resend", headers=ADMIN)
            assert resent.status_code == 200, resent.text
            received_within(receiver, 3 + (delivery is approved))
    first, second, old, latest = receiver.received
    assert "x-postback-resend" not in first.headers and "x-postback-resend" not in second.headers
    assert (old.path, old.headers["x-postback-resend"]) == ("/pb?st=new", "1")
    assert old.headers["x-postback-superseded"] == "1"  # the tracker already heard `approve`
    assert latest.headers["x-postback-resend"] == "1"
    assert "x-postback-superseded" not in latest.headers
    assert wait_until(lambda: len(deliveries(demo, state="delivered")) == 2, 30)
