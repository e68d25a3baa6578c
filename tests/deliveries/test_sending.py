"""Deliveries reach real receivers on loopback, retried politely, recorded attempt by attempt."""

from __future__ import annotations

import time

from tests.delivery_controls import (
    configure,
    deliveries,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.fault_controls import wait_until
from tests.ledger_controls import changed, created_lead


def test_a_created_lead_is_delivered_once_with_its_delivery_id_as_idempotency_key(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url("/pb?cid={click}&st={status}&tid={delivery}")))
        lead_id, _ = created_lead(demo, exto="first")
        [delivery] = settled(demo, 1)
        [request] = received_within(receiver, 1)
    assert delivery["lead"] == lead_id and delivery["event"] == "created"
    assert delivery["webmaster"] == "wm-1" and delivery["attempts"] == 1
    assert delivery["next_attempt_at"] is None
    assert request.headers["idempotency-key"] == delivery["id"]
    assert f"tid={delivery['id']}" in request.path and "st=new" in request.path
    assert set(delivery) == {
        "id", "lead", "webmaster", "event", "url", "state", "attempts", "next_attempt_at"
    }  # fmt: skip


def test_a_server_error_is_retried_until_delivered_with_the_same_key(demo, services):
    with receiving((500, {}), (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="retried")
        [delivery] = settled(demo, 1)
        requests = received_within(receiver, 2)
    assert delivery["attempts"] == 2
    assert {r.headers["idempotency-key"] for r in requests} == {delivery["id"]}
    detail = demo.get(f"/api/deliveries/{delivery['id']}", headers=_admin()).json()
    assert [a["http_status"] for a in detail["attempt_log"]] == [500, 200]
    assert [a["outcome"] for a in detail["attempt_log"]] == ["retry", "delivered"]


def _admin():
    from tests.controls import ADMIN

    return ADMIN


__all__ = ["changed", "deliveries", "time", "wait_until"]
