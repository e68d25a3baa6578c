"""Each lead event queues its deliveries once: a second notifier stands by, old events and
rebuilt read models never send again."""

from __future__ import annotations

from projections.rebuild.rebuilder import Rebuild
from tests.delivery_controls import (
    configure,
    deliveries,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.ledger_controls import changed, created_lead


def test_two_notifiers_on_one_database_send_each_delivery_once(demo, services):
    with receiving((200, {})) as receiver, notifying(services), notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        for n in range(5):
            created_lead(demo, exto=f"twice-{n}")
        settled(demo, 5)
        received_within(receiver, 5)
    keys = [r.headers["idempotency-key"] for r in receiver.received]
    assert sorted(keys) == sorted({d["id"] for d in deliveries(demo)})


def test_events_before_the_targets_are_never_sent_events_after_them_are_even_if_late(
    demo, services
):
    with receiving((200, {})) as receiver:
        created_lead(demo, exto="before")
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}")))
        created_lead(demo, exto="after")  # no notifier running yet
        with notifying(services):
            created_lead(demo, exto="later")
            settled(demo, 2)
            received_within(receiver, 2)
    assert sorted(r.path for r in receiver.received) == ["/pb?exto=after", "/pb?exto=later"]
    assert len(deliveries(demo)) == 2


def test_each_event_goes_to_the_targets_in_force_when_it_happened(demo, services):
    with receiving((200, {})) as old, receiving((200, {})) as new:
        configure(demo, postbacks_toml(old.url("/old?exto={exto}")))
        created_lead(demo, exto="first")
        configure(demo, postbacks_toml(new.url("/new?exto={exto}")))
        created_lead(demo, exto="second")
        with notifying(services):  # catching up on both after the change
            settled(demo, 2)
    assert [r.path for r in old.received] == ["/old?exto=first"]
    assert [r.path for r in new.received] == ["/new?exto=second"]


def test_a_rebuild_of_the_read_models_sends_nothing_again(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}&st={status}")))
        created_lead(demo, exto="kept")
        changed(demo, exto="kept", status="approved")
        settled(demo, 2)
        Rebuild(services.ledger, services.address, "all", "test", dry_run=False).run()
        created_lead(demo, exto="later")
        settled(demo, 3)
        received_within(receiver, 3)
    paths = sorted(r.path for r in receiver.received)
    assert paths == ["/pb?exto=kept&st=approve", "/pb?exto=kept&st=new", "/pb?exto=later&st=new"]
