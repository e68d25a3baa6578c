"""Deliveries reach real receivers on loopback, retried politely, recorded attempt by attempt."""

from __future__ import annotations

import dataclasses
import logging

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
        "id", "lead", "webmaster", "event", "url", "state", "attempts", "next_attempt_at",
        "queued_at", "position",
    }  # fmt: skip


def test_a_server_error_is_retried_until_delivered_with_the_same_key(demo, services):
    with receiving((500, {}), (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="retried")
        [delivery] = settled(demo, 1)
        requests = received_within(receiver, 2)
    assert delivery["attempts"] == 2
    assert {r.headers["idempotency-key"] for r in requests} == {delivery["id"]}
    attempts = detail(demo, delivery["id"])["attempt_log"]
    assert [(a["http_status"], a["outcome"]) for a in attempts] == [
        (500, "retry"), (200, "delivered")
    ]  # fmt: skip
    assert attempts[0]["next_attempt_at"] is not None and attempts[0]["response"] == "no"


def test_a_429_is_retried_no_sooner_than_its_retry_after(demo, services):
    with receiving((429, {"Retry-After": "2"}), (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="throttled")
        settled(demo, 1)
        first, second = received_within(receiver, 2)
    assert second.at - first.at >= 2.0 - 0.05  # the receiver's own clock, one process


def test_a_404_fails_without_a_retry(demo, services):
    with receiving((404, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="missing")
        [delivery] = settled(demo, 1, state="failed")
    assert (delivery["attempts"], delivery["next_attempt_at"]) == (1, None)
    assert len(receiver.received) == 1
    assert [a["outcome"] for a in detail(demo, delivery["id"])["attempt_log"]] == ["failed"]


def test_a_receiver_slower_than_the_total_timeout_is_retried(demo, services):
    with receiving("slow", (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="slow")
        [delivery] = settled(demo, 1)
    [timed_out, delivered] = detail(demo, delivery["id"])["attempt_log"]
    assert timed_out["error"].startswith("timeout") and timed_out["http_status"] is None
    assert timed_out["duration_ms"] < FAST.total_timeout * 1000 + 1000
    assert delivered["http_status"] == 200


def test_a_connection_closed_without_an_answer_is_retried(demo, services):
    with receiving("close", (200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="closed")
        [delivery] = settled(demo, 1)
    [closed, delivered] = detail(demo, delivery["id"])["attempt_log"]
    assert closed["error"] and closed["outcome"] == "retry"
    assert delivered["http_status"] == 200 and len(receiver.received) == 2


def test_a_redirect_is_an_answer_never_followed(demo, services):
    with receiving(host="127.0.0.2") as elsewhere:
        moved = (302, {"Location": elsewhere.url("/stolen")})
        with (
            receiving(moved) as receiver,
            notifying(services, dataclasses.replace(FAST, max_attempts=2)),
        ):
            configure(demo, postbacks_toml(receiver.url()))
            created_lead(demo, exto="moved")
            [delivery] = settled(demo, 1, state="failed")
        assert elsewhere.received == []
    assert [a["http_status"] for a in detail(demo, delivery["id"])["attempt_log"]] == [302, 302]


def test_a_url_failing_in_a_row_is_suspended_and_its_deliveries_wait_until_resumed(
    demo, services, caplog
):
    caplog.set_level(logging.WARNING)
    settings = dataclasses.replace(FAST, suspend_after=2, max_attempts=50)
    with receiving((500, {})) as receiver, notifying(services, settings):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="down-1")
        settled(demo, 1, state="suspended")
        created_lead(demo, exto="down-2")
        waiting = settled(demo, 2, state="suspended")
        assert len(receiver.received) == 2  # the second delivery was never tried
        [target] = demo.get("/api/deliveries/targets", headers=ADMIN).json()["items"]
        assert target["suspended_at"] and target["waiting"] == 2
        receiver.answers = [(200, {})]
        resumed = demo.post(f"/api/deliveries/targets/{target['id']}/resume", headers=ADMIN)
        assert resumed.status_code == 200 and resumed.json()["suspended_at"] is None
        settled(demo, 2)
    assert {d["id"] for d in waiting} == {d["id"] for d in deliveries(demo, state="delivered")}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "suspended after 2 failed attempts" in w]) == 1
    assert len([w for w in warnings if "resumed by" in w]) == 1


def test_support_resends_a_delivery_with_the_same_key(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url()))
        created_lead(demo, exto="again")
        [delivery] = settled(demo, 1)
        response = demo.post(f"/api/deliveries/{delivery['id']}/resend", headers=ADMIN)
        assert response.status_code == 200, response.text
        first, second = received_within(receiver, 2)
        assert wait_until(lambda: deliveries(demo)[0]["attempts"] == 2, 30)
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == delivery["id"]


def test_resending_an_unknown_delivery_is_a_clear_404(demo):
    response = demo.post(
        "/api/deliveries/00000000-0000-0000-0000-000000000000/resend", headers=ADMIN
    )
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_the_delivery_log_filters_by_webmaster_lead_and_state(demo, services):
    with receiving((200, {})) as receiver, notifying(services):
        configure(demo, postbacks_toml(receiver.url(), events=["created", "approve"]))
        lead_id, _ = created_lead(demo, exto="filtered")
        changed(demo, exto="filtered", status="approved")
        created_lead(demo, exto="other")
        settled(demo, 3)
    assert [d["event"] for d in deliveries(demo, lead=lead_id)] == ["approve", "created"]
    assert len(deliveries(demo, webmaster="wm-1", state="delivered")) == 3
    assert deliveries(demo, webmaster="wm-2") == [] and deliveries(demo, state="failed") == []
    bad = demo.get("/api/deliveries", params={"state": "lost"}, headers=ADMIN)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_parameter"
