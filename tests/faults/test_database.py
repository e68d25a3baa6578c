"""Faults of PostgreSQL: stopped under load, and the projection runner's connections killed.

The stop test runs its own embedded PostgreSQL, so stopping it cannot disturb other tests. It
keeps PostgreSQL down until enough postbacks were answered, and until every postback sent so far
has its answer, rather than for a fixed time: what it asserts is an order (each postback that met
the stopped database was answered 503 before the database came back, none held until then), so a
slow machine makes the test take longer but never changes what it checks.
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
ACKS_BEFORE_STOP = 20
# PostgreSQL stays down until this many postbacks sent after the stop have been answered, then
# until every sender has its answer to what it sent before that, and at least MIN_OUTAGE_SECONDS
# (so the service's probes keep finding it down); a generous MAX_OUTAGE_SECONDS ends a test whose
# writer hangs.
ANSWERS_WHILE_DOWN = 50
MIN_OUTAGE_SECONDS = 2.0
MAX_OUTAGE_SECONDS = 120.0
RECOVERY_DEADLINE_SECONDS = 60.0  # after PostgreSQL is up; the pool alone took minutes


@pytest.fixture
def own_postgres():
    postgres = OwnPostgres()
    yield postgres
    postgres.close()


def test_postgres_stopped_under_load_gives_503_while_down_and_the_service_recovers(
    own_postgres, tmp_path
):
    database = own_postgres.new_database()
    env = {"LEDGER_READY_MAX_LAG": "0"}
    with running_server(database, tmp_path / "srv", env=env) as server:
        senders = Senders(server.base_url, creation_then_approval, count=5).start()
        assert wait_until(lambda: len(acknowledged(senders.answers)) >= ACKS_BEFORE_STOP, 30)
        own_postgres.stop()
        stopped_at = time.monotonic()
        while_down, cut = _keep_down_until_answered(senders, stopped_at)
        own_postgres.start()
        restarted_at = time.monotonic()
        recovered = wait_until(
            lambda: _accepts_postbacks(server.base_url), timeout=RECOVERY_DEADLINE_SECONDS
        )
        recovery_seconds = time.monotonic() - restarted_at
        answers = senders.stop()
        ready = wait_until(lambda: httpx.get(f"{server.base_url}/health/ready").is_success, 30)

    assert len(while_down) >= ANSWERS_WHILE_DOWN, (
        f"{len(while_down)} answers in {MAX_OUTAGE_SECONDS:.0f} s down: {server.log_tail(15)}"
    )
    held = [a for a in answers if stopped_at <= a.sent_at < cut and a.answered_at >= restarted_at]
    assert held == [], f"held until PostgreSQL was back: {_summary(held)}"
    not_503 = [a for a in while_down if not _refused_for_now(a)]
    assert not_503 == [], _summary(not_503)
    assert not [a for a in answers if a.status is None or a.status >= 500 and a.status != 503]
    assert recovered and ready, server.log_tail()
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


def _keep_down_until_answered(senders: Senders, stopped_at: float) -> tuple[list[Answer], float]:
    """The answers to postbacks sent after `stopped_at` and before a cut, once all are in.

    The cut comes once there are enough answers; then each sender's next answer to a postback
    sent after the cut shows it is no longer waiting on anything it sent before.
    """

    def sent_since(moment: float) -> list[Answer]:
        return [a for a in list(senders.answers) if a.sent_at >= moment]

    wait_until(lambda: len(sent_since(stopped_at)) >= ANSWERS_WHILE_DOWN, MAX_OUTAGE_SECONDS, 0.05)
    cut = time.monotonic()
    wait_until(
        lambda: len({a.request_id.split("-")[0] for a in sent_since(cut)}) == senders.count,
        MAX_OUTAGE_SECONDS,
        0.05,
    )
    time.sleep(max(0.0, stopped_at + MIN_OUTAGE_SECONDS - time.monotonic()))
    return [a for a in sent_since(stopped_at) if a.sent_at < cut], cut


def _refused_for_now(answer: Answer) -> bool:
    return answer.status == 503 and bool(answer.headers.get("retry-after"))


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
