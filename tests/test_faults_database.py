"""Faults of PostgreSQL: stopped under load, and the projection runner's connections killed.

The stop test runs its own embedded PostgreSQL, so stopping it cannot disturb other tests.
"""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest

from tests.controls import create
from tests.fault_controls import (
    OwnPostgres,
    Senders,
    acknowledged,
    audit_check,
    record_figures,
    wait_until,
)
from tests.servers import running_server
from tests.test_faults_server import assert_stored_exactly_once, creation_then_approval

pytestmark = pytest.mark.slow
ANSWER_WITHIN_SECONDS = 5.0


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
        time.sleep(1.0)
        own_postgres.stop()
        stopped_at = time.monotonic()
        time.sleep(4.0)
        during = [a for a in senders.answers if a.status in (503, None) or a.seconds > 1]
        own_postgres.start()
        recovered = wait_until(lambda: _accepts_postbacks(server.base_url), timeout=30)
        answers = senders.stop()
        ready = wait_until(lambda: httpx.get(f"{server.base_url}/health/ready").is_success, 30)

    assert recovered and ready, server.log_tail()
    unavailable = [a for a in answers if a.status == 503]
    summary = sorted((a.status, round(a.seconds, 1)) for a in answers if a.status != 200)
    assert unavailable, f"no 503 while PostgreSQL was down: {summary} {server.log_tail(15)}"
    assert all(a.headers.get("retry-after") for a in unavailable)
    assert max(a.seconds for a in answers) < ANSWER_WITHIN_SECONDS, sorted(
        round(a.seconds, 2) for a in answers
    )[-5:]
    assert not [a for a in answers if a.status is not None and a.status >= 500 and a.status != 503]
    assert during and stopped_at
    assert_stored_exactly_once(database, answers)
    assert len(acknowledged(answers)) > 0
    checked = audit_check(database)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    record_figures(
        "PostgreSQL stopped under load",
        senders=5,
        answered_503=len(unavailable),
        slowest_answer_s=round(max(a.seconds for a in answers), 2),
        lost=0,
        **record_figures.last,
    )


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
