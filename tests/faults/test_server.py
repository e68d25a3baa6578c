"""Faults of the server process: kill -9 under load, and SIGTERM under load.

A real granian server on a test database, 20 senders posting creations and status changes with
their own request ids. Whatever happens to the process, every postback that was answered 200 is
in the event store exactly once, no lead is duplicated, and after a restart the projections
catch up to what the events say (`postback-ledger audit check` exits 0). SIGTERM is a graceful
stop: every request whose bytes were sent before the signal gets an HTTP answer, and the server
exits 0; kill -9 only promises that nothing acknowledged is lost.
"""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from tests.fault_controls import (
    Senders,
    assert_stored_exactly_once,
    audit_check,
    creation_then_approval,
    load_until,
    record_figures,
    wait_until,
)
from tests.natural_keys import assert_each_lead_and_entry_held_once
from tests.servers import running_server

pytestmark = pytest.mark.slow
READY_AT_ONCE = {"LEDGER_READY_MAX_LAG": "0"}


def test_kill_9_during_load_loses_no_acknowledged_postback(database, tmp_path):
    with running_server(database, tmp_path / "first") as server:
        senders = Senders(server.base_url, creation_then_approval, count=20).start()
        load_until(server, senders, acks=300, seconds=15)
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        answers = senders.stop()
    assert not [a for a in answers if a.status is not None and a.status >= 500]

    with running_server(database, tmp_path / "second", catalog=None, env=READY_AT_ONCE) as again:
        assert wait_until(lambda: httpx.get(f"{again.base_url}/health/ready").is_success, 30)
        assert_stored_exactly_once(database, answers)
    assert_each_lead_and_entry_held_once(database)
    checked = audit_check(database)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    record_figures("kill -9 under load", senders=20, lost=0, **record_figures.last)


def test_sigterm_during_load_answers_every_request_sent_before_it_and_exits_0(database, tmp_path):
    with running_server(database, tmp_path / "first") as server:
        senders = Senders(server.base_url, creation_then_approval, count=20).start()
        load_until(server, senders, acks=300, seconds=15)
        signalled_at = time.monotonic()
        os.killpg(server.process.pid, signal.SIGTERM)
        exit_code = server.process.wait(60)
        answers = senders.stop()
    assert exit_code == 0, server.log_tail()
    sent_before = [a for a in answers if a.written_at is not None and a.written_at < signalled_at]
    unanswered = [a for a in sent_before if a.status is None]
    assert unanswered == [], f"{len(unanswered)} of {len(sent_before)}: {unanswered[:3]}"
    assert not [a for a in answers if a.status is not None and a.status >= 500]
    in_flight = [a for a in sent_before if a.answered_at > signalled_at]
    assert in_flight, "no request was in flight when the signal came"

    assert_stored_exactly_once(database, answers)
    with running_server(database, tmp_path / "second", catalog=None, env=READY_AT_ONCE) as again:
        assert wait_until(lambda: httpx.get(f"{again.base_url}/health/ready").is_success, 30)
    assert_each_lead_and_entry_held_once(database)
    checked = audit_check(database)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    record_figures("SIGTERM under load", senders=20, lost=0, unanswered=0,
                   in_flight_at_the_signal=len(in_flight), **record_figures.last)  # fmt: skip
