"""Faults: the notifier killed with SIGKILL mid-delivery under `serve`, PostgreSQL stopped and
started again while a delivery is in flight. No event's delivery is lost; a repeat carries the
same idempotency key."""

from __future__ import annotations

import dataclasses
import os
import signal
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.services import Services
from tests.controls import ADMIN, DEMO_CATALOG
from tests.delivery_controls import (
    FAST,
    configure,
    detail,
    notifying,
    postbacks_toml,
    received_within,
    receiving,
    settled,
)
from tests.fault_controls import OwnPostgres, wait_until
from tests.ledger_controls import created_lead
from tests.servers import running_server

pytestmark = pytest.mark.slow
FAST_ENV = {
    "LEDGER_DELIVERY_ALLOW": "127.0.0.0/8",
    "LEDGER_DELIVERY_RETRY_BASE": "0.05",
    "LEDGER_DELIVERY_MAX_ATTEMPTS": "5",
}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _notifier_process(server_pid: int) -> int | None:
    """The process that sends (`serve` runs the notifier's follower apart, `--part queue`)."""
    for child in _children(server_pid):
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"notifier" in command and b"run" in command and b"queue" not in command:
            return child
    return None


def _created(server, exto: str) -> None:
    with server.client() as client:
        params = {"token": "7-s3cr3t", "flow": "101", "exto": exto}
        assert client.get("/api/site/click.json", params=params).status_code == 200


def _delivered(server) -> list[dict]:
    with server.client() as client:
        items = client.get("/api/deliveries", headers=server.admin_headers).json()["items"]
    return [d for d in items if d["state"] == "delivered"]


def test_the_notifier_killed_mid_delivery_loses_nothing_and_repeats_with_the_same_key(
    tmp_path,
):
    postgres = OwnPostgres()
    try:
        with (
            receiving("hold", (200, {})) as receiver,
            running_server(postgres.new_database(), tmp_path / "srv", env=FAST_ENV) as server,
        ):
            with httpx.Client(base_url=server.base_url) as client:
                toml = postbacks_toml(receiver.url("/pb?exto={exto}"))
                response = client.post(
                    "/api/admin/catalog", content=toml, headers=server.admin_headers
                )
                assert response.status_code == 200, response.text
            _created(server, "killed")
            assert wait_until(lambda: receiver.received, 60), server.log_tail(80)  # held in flight
            killed = _notifier_process(server.process.pid)
            assert killed is not None
            os.kill(killed, signal.SIGKILL)
            receiver.release.set()  # its answer now goes nowhere
            assert wait_until(
                lambda: _notifier_process(server.process.pid) not in (None, killed), 60
            )
            _created(server, "after")
            assert wait_until(lambda: len(_delivered(server)) == 2, 90), server.log_tail()
            delivered = {d["id"] for d in _delivered(server)}
            with server.client() as client:
                cut = [
                    [a["outcome"] for a in client.get(
                        f"/api/deliveries/{d}", headers=server.admin_headers
                    ).json()["attempt_log"]]
                    for d in delivered
                ]  # fmt: skip
    finally:
        postgres.close()
    keys = [r.headers["idempotency-key"] for r in receiver.received]
    assert set(keys) == delivered  # every event's delivery arrived
    assert sorted(r.path for r in receiver.received)[-1] == "/pb?exto=killed"
    assert len(keys) >= 3 and len(set(keys)) == 2  # a repeat only under the same key
    assert ["unknown", "delivered"] in cut  # the attempt cut by the kill is shown, unknown


def test_an_attempt_finished_while_postgres_is_down_is_recorded_when_it_is_back(settings, tmp_path):
    postgres = OwnPostgres()
    try:
        services = Services.open(settings, postgres.new_database())
        services.start()
        slow_enough = dataclasses.replace(FAST, total_timeout=60.0)
        with (
            TestClient(create_app(settings, services)) as client,
            receiving("hold") as receiver,
            notifying(services, slow_enough),
        ):
            assert client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ADMIN).is_success
            configure(client, postbacks_toml(receiver.url()))
            created_lead(client, exto="through-restart")
            received_within(receiver, 1)
            postgres.stop()
            receiver.release.set()  # answered 200 while nothing can be recorded
            postgres.start()
            [delivery] = settled(client, 1, timeout=90)
            assert len(receiver.received) == 1  # recorded, not sent again
            assert [a["http_status"] for a in detail(client, delivery["id"])["attempt_log"]] == [
                200
            ]
        services.close()
    finally:
        postgres.close()
