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


def test_a_notifier_starting_on_an_old_store_sends_only_what_happens_from_then_on(demo, services):
    with receiving((200, {})) as receiver:
        configure(demo, postbacks_toml(receiver.url("/pb?exto={exto}")))
        created_lead(demo, exto="before")
        with notifying(services):
            created_lead(demo, exto="after")
            settled(demo, 1)
            [request] = received_within(receiver, 1)
    assert request.path == "/pb?exto=after" and len(deliveries(demo)) == 1


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
