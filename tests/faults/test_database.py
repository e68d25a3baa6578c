"""Faults of PostgreSQL: stopped under load, and the projection runner's connections killed.

The stop test runs its own embedded PostgreSQL, so stopping it cannot disturb other tests. It
keeps PostgreSQL down until enough postbacks were answered, rather than for a fixed time, so that
a slow machine makes the test take longer but never changes what it checks.
"""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest

from tests.controls import create
from tests.fault_controls import (
    Answer,
    OwnPostgres,
    Senders,
    acknowledged,
    assert_stored_exactly_once,
    audit_check,
    creation_then_approval,
    record_figures,
    wait_until,
)
from tests.natural_keys import assert_each_lead_and_entry_held_once
from tests.servers import running_server

pytestmark = pytest.mark.slow
ANSWER_WITHIN_SECONDS = 5.0
ACKS_BEFORE_STOP = 20
# PostgreSQL stays down until this many postbacks sent after the stop have been answered, and at
# least MIN_OUTAGE_SECONDS (so the service's probes keep finding it down), but never longer than
# MAX_OUTAGE_SECONDS: the outcome then does not depend on how fast a busy machine runs.
ANSWERS_WHILE_DOWN = 50
MIN_OUTAGE_SECONDS = 2.0
MAX_OUTAGE_SECONDS = 60.0
ACCEPTING_AGAIN_WITHIN_SECONDS = 10.0  # after PostgreSQL is up; the pool alone took up to minutes


@pytest.fixture
def own_postgres():
    postgres = OwnPostgres()
    yield postgres
    postgres.close()


def test_postgres_stopped_under_load_gives_503_within_5_s_and_the_service_recovers(
    own_postgres, tmp_path
):
    database = own_postgres.new_database()
    env = {"LEDGER_READY_MAX_LAG": "0"}
    with running_server(database, tmp_path / "srv", env=env) as server:
        senders = Senders(server.base_url, creation_then_approval, count=5).start()
        assert wait_until(lambda: len(acknowledged(senders.answers)) >= ACKS_BEFORE_STOP, 30)
        own_postgres.stop()
        while_down = _keep_down_until_answered(senders, stopped_at=time.monotonic())
        own_postgres.start()
        restarted_at = time.monotonic()
        recovered = wait_until(lambda: _accepts_postbacks(server.base_url), timeout=30)
        recovery_seconds = time.monotonic() - restarted_at
        answers = senders.stop()
        ready = wait_until(lambda: httpx.get(f"{server.base_url}/health/ready").is_success, 30)

    assert len(while_down) >= ANSWERS_WHILE_DOWN, (
        f"{len(while_down)} answers in {MAX_OUTAGE_SECONDS:.0f} s down: {server.log_tail(15)}"
    )
    late_or_not_503 = [a for a in while_down if not _refused_in_time(a)]
    assert late_or_not_503 == [], _summary(late_or_not_503)
    assert not [a for a in answers if a.status is None or a.status >= 500 and a.status != 503]
    assert max(a.seconds for a in answers) < ANSWER_WITHIN_SECONDS, _summary(answers)
    assert recovered and ready, server.log_tail()
    assert recovery_seconds < ACCEPTING_AGAIN_WITHIN_SECONDS, server.log_tail(15)
    assert_stored_exactly_once(database, answers)
    assert_each_lead_and_entry_held_once(database)
    checked = audit_check(database)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    record_figures(
        "PostgreSQL stopped under load",
        senders=5,
        answered_503_while_down=len(while_down),
        slowest_503_while_down_s=round(max(a.seconds for a in while_down), 2),
        slowest_answer_s=round(max(a.seconds for a in answers), 2),
        accepting_again_after_start_s=round(recovery_seconds, 2),
        lost=0,
        **record_figures.last,
    )


def _keep_down_until_answered(senders: Senders, stopped_at: float) -> list[Answer]:
    """The answers to postbacks sent after `stopped_at`, once there are enough of them."""

    def answered_since_stop() -> list[Answer]:
        return [a for a in list(senders.answers) if a.sent_at >= stopped_at]

    wait_until(lambda: len(answered_since_stop()) >= ANSWERS_WHILE_DOWN, MAX_OUTAGE_SECONDS, 0.05)
    time.sleep(max(0.0, stopped_at + MIN_OUTAGE_SECONDS - time.monotonic()))
    return answered_since_stop()


def _refused_in_time(answer: Answer) -> bool:
    return (
        answer.status == 503
        and bool(answer.headers.get("retry-after"))
        and answer.seconds < ANSWER_WITHIN_SECONDS
    )


def _summary(answers: list[Answer]) -> str:
    slowest = sorted(answers, key=lambda a: a.seconds)[-5:]
    return f"{len(answers)} answers, slowest: {[(a.status, round(a.seconds, 2)) for a in slowest]}"


def _accepts_postbacks(base_url: str) -> bool:
    response = httpx.post(
        f"{base_url}/api/site/click.json",
        data={"token": "7-s3cr3t", "flow": "101", "exto": f"probe-{time.monotonic()}"},
        timeout=10,
    )
    return response.status_code == 200


def test_the_projection_runner_resumes_after_its_connections_are_terminated(
    demo, services, database
):
    first = create(demo, flow="101", exto="before-kill").json()
    assert wait_until(lambda: services.runner.position >= first["position"], 10)

    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        killed = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database.dbname,),
        ).fetchone()[0]
    assert killed >= 1
    after = _create_until_accepted(demo, "after-kill")

    assert wait_until(lambda: services.runner.position >= after["position"], 15)
    assert wait_until(lambda: services.runner.is_leader and _listening(database), 15)
    record_figures("projection connections terminated", terminated=killed, resumed=True)
    services.runner.catch_up()
    assert_each_lead_and_entry_held_once(database)
    checked = audit_check(database)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _create_until_accepted(client, exto: str) -> dict:
    """Pooled connections the kill cut fail once; the sender's retry then succeeds."""
    for _ in range(20):
        response = create(client, flow="101", exto=exto)
        if response.status_code == 200:
            return response.json()
        assert response.status_code == 503, response.text
        time.sleep(0.2)
    raise AssertionError("postbacks kept failing after the connections were terminated")


def _listening(database) -> bool:
    """The runner holds its advisory lock again, on the connection that also LISTENs."""
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        held = connection.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = %s",
            (database.dbname,),
        ).fetchone()[0]
    return held == 1
