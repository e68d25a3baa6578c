"""The sender apart from the follower (as `serve` runs them): one sender leads per database,
it is woken by the follower's NOTIFY, and a lead's deliveries still arrive in order."""

from __future__ import annotations

import logging
import threading

from app.cli.following import wait_for
from app.deliveries.sender_lead import SenderLead, notify_queued
from app.deliveries.service import NotifierService
from tests.delivery_controls import FAST, configure, notifying, postbacks_toml, receiving, settled
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


def _broken_lead(lock) -> None:
    """A lead with a bug: it raises as soon as it holds the lock."""
    raise KeyError("a lead's bug")


def test_an_error_no_retry_can_mend_stops_the_senders_lead_and_its_process_ends_with_1(
    services, caplog
):
    notifier = NotifierService.open(services.ledger, services.address, FAST, parts=("send",))
    notifier.lead._lead = _broken_lead
    with caplog.at_level(logging.ERROR):
        notifier.start()
        try:
            assert wait_until(lambda: notifier.failure is not None, 30), "the lead never said so"
            assert isinstance(notifier.failure, KeyError) and not notifier.lead.is_leader
            assert wait_for(threading.Event(), "notifier", lambda: notifier.failure) == 1
        finally:
            notifier.stop()
    assert any(r.exc_info and "sender's lead" in r.getMessage() for r in caplog.records)


def _broken_step() -> None:
    """A sender with a bug: every step raises."""
    raise KeyError("a sender's bug")


def test_an_error_no_retry_can_mend_stops_the_sender_and_its_process_ends_with_1(services):
    notifier = NotifierService.open(services.ledger, services.address, FAST, parts=("send",))
    notifier.sender._step = _broken_step
    notifier.start()
    try:
        assert wait_until(lambda: notifier.failure is not None, 30), "the sender never said so"
        assert isinstance(notifier.failure, KeyError)
        assert wait_for(threading.Event(), "notifier", lambda: notifier.failure) == 1
    finally:
        notifier.stop()
