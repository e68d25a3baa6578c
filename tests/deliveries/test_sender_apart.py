"""The sender apart from the follower (as `serve` runs them): one sender leads per database,
it is woken by the follower's NOTIFY, and a lead's deliveries still arrive in order."""

from __future__ import annotations

import threading

from app.deliveries.sender_lead import SenderLead, notify_queued
from tests.delivery_controls import configure, notifying, postbacks_toml, receiving, settled
from tests.fault_controls import wait_until
from tests.ledger_controls import changed, created_lead


def test_a_follower_and_a_sender_in_two_places_deliver_a_leads_events_in_order(demo, services):
    with (
        receiving() as receiver,
        notifying(services, parts=("queue",)),
        notifying(services, parts=("send",)),
    ):
        configure(demo, postbacks_toml(receiver.url("/pb?st={status}")))
        created_lead(demo, exto="apart")
        for status in ("hold", "approved", "cancelled"):
            changed(demo, exto="apart", status=status)
        settled(demo, 4)
    assert [r.path for r in receiver.received] == [
        f"/pb?st={s}" for s in ("new", "hold", "approve", "cancel")
    ]


def test_one_sender_leads_per_database(services):
    leads = [SenderLead(services.address, threading.Event()) for _ in range(2)]
    for lead in leads:
        lead.start()
    try:
        assert wait_until(lambda: any(lead.is_leader for lead in leads), 30)
        assert [lead.is_leader for lead in leads].count(True) == 1
        first = next(lead for lead in leads if lead.is_leader)
        first.stop()
        other = next(lead for lead in leads if lead is not first)
        assert wait_until(lambda: other.is_leader, 30)  # the standby takes over
    finally:
        for lead in leads:
            lead.stop()


def test_a_commit_that_queues_wakes_the_leading_sender(services):
    wake = threading.Event()
    lead = SenderLead(services.address, wake)
    lead.start()
    try:
        assert wait_until(lambda: lead.is_leader, 30)
        assert wake.wait(5)  # a sender that takes the lead looks at once
        wake.clear()
        with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
            notify_queued(cursor)  # rolled back: nobody is woken
        assert not wake.wait(1.5)
        with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
            notify_queued(cursor)
        assert wake.wait(30)
    finally:
        lead.stop()
