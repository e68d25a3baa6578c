"""The primary PostgreSQL killed under load, its synchronous standby promoted: nothing lost.

A primary and a synchronous standby (`tests/replication_controls.py`), `serve` with a two-host
DATABASE_URL, 16 senders. The primary's postmaster is killed with SIGKILL mid-load; once every
sender has heard an answer to a postback sent after the kill, the standby is promoted and the
senders keep going. Then, on the new primary: every acknowledged postback is stored exactly once,
no natural key has two leads, the read models caught up, `audit check` and `audit verify` pass,
and every lead's postbacks to the webmaster's tracker were sent. The test waits for events (answers
heard, the promoted server accepting), never for fixed times, so a slow machine only makes it
longer.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter

import httpx
import psycopg
import pytest

from app.deliveries.notifier import NAME as NOTIFIER
from domain.lead import Lead
from projections.runner import TRACKING_TABLE
from tests.delivery_controls import postbacks_toml, receiving
from tests.fault_controls import (
    REPOSITORY,
    Senders,
    acknowledged,
    assert_stored_exactly_once,
    audit_check,
    creation_then_approval,
    lead_creations,
    record_figures,
    stored_request_ids,
    wait_until,
)
from tests.natural_keys import assert_each_lead_and_entry_held_once
from tests.replication_controls import ReplicatedPostgres
from tests.servers import running_server

pytestmark = pytest.mark.slow
SENDERS = 16
ACKS_BEFORE_KILL = 60
ACKS_AFTER_PROMOTION = 60
MIN_SWITCH_SECONDS = 5.0
ENV = {
    "LEDGER_READY_MAX_LAG": "0",
    "LEDGER_DELIVERY_ALLOW": "127.0.0.0/8",
    "LEDGER_DELIVERY_RETRY_BASE": "0.05",
}


@pytest.fixture
def cluster():
    replicated = ReplicatedPostgres(synchronous=True)
    yield replicated
    replicated.close()


def test_the_primary_killed_under_load_fails_over_to_its_synchronous_standby_losing_nothing(
    cluster, tmp_path
):
    with (
        receiving((200, {})) as tracker,
        running_server(cluster.address, tmp_path / "srv", env=ENV) as server,
    ):
        toml = postbacks_toml(tracker.url("/pb?exto={exto}&status={status}"))
        headers = server.admin_headers
        configured = httpx.post(
            f"{server.base_url}/api/admin/catalog", content=toml, headers=headers
        )
        assert configured.status_code == 200, configured.text
        senders = Senders(server.base_url, creation_then_approval, count=SENDERS).start()
        assert wait_until(lambda: len(acknowledged(senders.answers)) >= ACKS_BEFORE_KILL, 60)
        cluster.kill_primary()
        killed_at = time.monotonic()
        assert wait_until(lambda: _every_sender_answered_since(senders, killed_at), 60)
        # As long as a failover manager takes at least: the pools' reconnection back-off grows.
        time.sleep(max(0.0, killed_at + MIN_SWITCH_SECONDS - time.monotonic()))
        # The window of the switch ends when the promotion starts: the standby takes writes
        # before `pg_ctl promote -w` returns, and a status postback answered then may rightly be
        # 404 (its creation met the lost primary and was refused with 503).
        promotion_started_at = time.monotonic()
        cluster.promote()
        promoted_at = time.monotonic()
        assert wait_until(lambda: _acks_since(senders, promoted_at) > 0, 60), server.log_tail()
        accepting_after_s = time.monotonic() - promoted_at
        assert wait_until(lambda: _acks_since(senders, promoted_at) >= ACKS_AFTER_PROMOTION, 90), (
            server.log_tail()
        )
        answers = senders.stop()
        ready = wait_until(lambda: httpx.get(f"{server.base_url}/health/ready").is_success, 60)
        assert ready, httpx.get(f"{server.base_url}/health/ready").text + server.log_tail()
        new_primary = cluster.single(cluster.standby_dir)
        assert wait_until(lambda: _every_delivery_settled(new_primary), 90), server.log_tail()

    in_switch = [
        a for a in answers if killed_at <= a.sent_at and a.answered_at < promotion_started_at
    ]
    switch = [a for a in in_switch if a.status is not None]
    assert switch, "no postback met the lost primary"
    assert [a for a in switch if a.status != 503 or not a.headers.get("retry-after")] == []
    assert [
        a for a in answers if a.status is not None and a.status >= 500 and a.status != 503
    ] == []
    # No connection closed without an answer: the database gate reads a refused request's body
    # first (tests/faults/test_kept_alive_connections.py says why).
    assert [a for a in answers if a.status is None] == [], senders.connections
    assert senders.connections == SENDERS  # each kept its connection through the switch
    events = assert_stored_exactly_once(new_primary, answers)
    assert_each_lead_and_entry_held_once(new_primary)
    _assert_read_models_hold_every_event_once(new_primary, events)
    checked = audit_check(new_primary)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verified = _audit_verify(new_primary)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    _assert_every_lead_was_told(new_primary, events, tracker)
    record_figures(
        "primary killed, synchronous standby promoted",
        senders=SENDERS,
        answered_503_during_switch=len(switch),
        connections_opened=senders.connections,
        slowest_503_during_switch_s=round(max(a.seconds for a in switch), 2),
        accepting_again_after_promotion_s=round(accepting_after_s, 2),
        lost=0,
        **record_figures.last,
    )


def _every_sender_answered_since(senders: Senders, moment: float) -> bool:
    answered = {a.request_id.split("-")[0] for a in list(senders.answers) if a.sent_at >= moment}
    return len(answered) == senders.count


def _acks_since(senders: Senders, moment: float) -> int:
    return sum(1 for a in list(senders.answers) if a.sent_at >= moment and a.status == 200)


def _every_delivery_settled(database) -> bool:
    """The notifier has read every event (readiness does not wait for it: it follows the log in
    its own process, reconnecting on its own back-off) and no delivery is left to send. No
    delivery pending alone held while the notifier was still reconnecting (seen in CI)."""
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        return connection.execute(
            f"SELECT (SELECT position FROM {TRACKING_TABLE} WHERE name = %s)"
            " >= (SELECT max(notification_id) FROM ledger_events)"
            " AND NOT EXISTS (SELECT FROM deliveries WHERE state <> 'delivered')",
            (NOTIFIER,),
        ).fetchone()[0]


def _assert_every_lead_was_told(database, events, tracker) -> None:
    """Each lead has its deliveries, all delivered, each one heard by the tracker."""
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        rows = connection.execute("SELECT id, lead FROM deliveries").fetchall()
    assert {lead for _, lead in rows} == {e.originator_id for e in lead_creations(events)}
    heard = {r.headers.get("idempotency-key") for r in tracker.received}
    assert {str(delivery) for delivery, _ in rows} <= heard


def _assert_read_models_hold_every_event_once(database, events) -> None:
    """None skipped or applied twice: each lead at its last version, each postback logged once."""
    versions: dict = {}
    for event in events:
        if isinstance(event, Lead.Event):
            versions[event.originator_id] = event.originator_version
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        leads = dict(connection.execute("SELECT id, version FROM lead_view").fetchall())
        logged = [row[0] for row in connection.execute("SELECT request_id FROM postback_log")]
    assert leads == versions
    assert Counter(logged) == Counter(stored_request_ids(events))


def _audit_verify(database) -> subprocess.CompletedProcess:
    env = {"DATABASE_URL": database.url(), "PATH": "/usr/bin:/bin", "LEDGER_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "audit", "verify"],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
