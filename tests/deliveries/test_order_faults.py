"""Order per lead across a crash: `serve` killed with SIGKILL in the middle of the deliveries,
started again on the same database. Repeats are allowed (sent at least once); a lead's events
never arrive out of order, and each tracker ends on the lead's status."""

from __future__ import annotations

import os
import signal

import pytest

from tests.controls import lead
from tests.deliveries.test_faults import FAST_ENV
from tests.delivery_controls import configure
from tests.delivery_order_controls import CHANGES, EVENTS, Tracker, json_target_toml
from tests.fault_controls import wait_until
from tests.ledger_controls import changed, created_lead
from tests.servers import _group_ended, running_server

pytestmark = pytest.mark.slow
LEADS = 200


def test_serve_killed_mid_delivery_never_breaks_a_leads_order(demo, database, tmp_path):
    tracker = Tracker(slowest=0.1).start()
    try:
        configure(demo, json_target_toml(tracker.url()))
        leads = []  # written with no notifier running: all of it waits for `serve`
        for n in range(LEADS):
            leads.append(created_lead(demo, exto=f"killed-{n}")[0])
            for change in CHANGES:
                changed(demo, exto=f"killed-{n}", **change)
        total = LEADS * len(EVENTS)
        with running_server(database, tmp_path / "srv", catalog=None, env=FAST_ENV) as first:
            assert wait_until(lambda: tracker.heard() >= total // 3, 120), first.log_tail()
            os.kill(first.process.pid, signal.SIGKILL)
            heard_at_kill = tracker.heard()
            ended = _group_ended(first.process.pid, 30)  # its processes end with it
        assert ended, "serve's children outlived a kill -9 of serve"
        assert heard_at_kill < total  # killed in the middle
        with running_server(database, tmp_path / "srv", catalog=None, env=FAST_ENV) as second:
            assert wait_until(lambda: tracker.all_ended_with(leads, "cancel"), 240), (
                second.log_tail()
            )
    finally:
        tracker.stop()
    assert tracker.out_of_order(EVENTS) == {}
    for lead_id in leads:
        assert tracker.last_status(lead_id) == lead(demo, lead_id)["status"] == "cancel"
