"""Races over HTTP on a real server: 50 senders at the same moment on one lead."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from domain.lead import Lead
from domain.postback import Postback
from tests.fault_controls import audit_check, record_figures, stored_events
from tests.natural_keys import assert_each_lead_and_entry_held_once

pytestmark = pytest.mark.slow
SENDERS = 50


def all_at_once(base_url: str, requests: list[tuple[str, dict]]) -> list[httpx.Response]:
    start = threading.Barrier(len(requests))

    def send(request: tuple[str, dict]) -> httpx.Response:
        path, params = request
        with httpx.Client(base_url=base_url, timeout=30) as client:
            start.wait()
            return client.post(path, data=params)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def test_50_identical_creations_in_parallel_make_one_lead(live_server, database):
    creation = ("/api/site/click.json", {"token": "7-s3cr3t", "flow": "101", "exto": "same"})

    answers = all_at_once(live_server.base_url, [creation] * SENDERS)

    assert [a.status_code for a in answers] == [200] * SENDERS
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["created"] + ["duplicate"] * (SENDERS - 1)
    assert len({a.json()["id"] for a in answers}) == 1
    events = stored_events(database)
    assert len([e for e in events if isinstance(e, Lead.Created)]) == 1
    assert len([e for e in events if isinstance(e, Postback.Received)]) == SENDERS
    record_figures("identical creations", senders=SENDERS, leads=1)
    assert_each_lead_and_entry_held_once(database)
    assert audit_check(database).returncode == 0


def test_50_changes_of_one_lead_in_parallel_are_all_recorded_and_the_last_one_wins(
    live_server, database
):
    lead = {"token": "7-s3cr3t", "flow": "101", "exto": "contended"}
    created = httpx.post(f"{live_server.base_url}/api/site/click.json", data=lead).json()
    changes = [
        ("/api/site/status.json", {**lead, "status": "hold", "pay": f"{n + 1}.00"})
        for n in range(SENDERS)
    ]

    answers = all_at_once(live_server.base_url, changes)

    assert [a.status_code for a in answers] == [200] * SENDERS
    events = stored_events(database)
    payouts = [e for e in events if isinstance(e, Lead.PayoutSet)]
    assert len(payouts) == SENDERS  # every change applied, none lost to a race
    last = max(payouts, key=lambda e: e.originator_version)
    view = httpx.get(
        f"{live_server.base_url}/api/leads/{created['id']}",
        params={"after": max(a.json()["position"] for a in answers)},
        headers=live_server.admin_headers,
    ).json()
    assert view["status"] == "hold"
    assert Decimal(view["advertiser_payout"]["amount"]) == last.advertiser_amount
    assert view["version"] == last.originator_version
    record_figures("parallel changes of one lead", senders=SENDERS, events=len(payouts))
    assert_each_lead_and_entry_held_once(database)
    assert audit_check(database).returncode == 0
