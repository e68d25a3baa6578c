"""The database gate: while the breaker is open every endpoint that needs the database answers
503 with Retry-After without trying it, the rest keep answering, and all serve again once the
breaker's probe finds the database back. The probe is stubbed: no timing, no real outage."""

from __future__ import annotations

import eventsourcing.persistence
import psycopg
import pytest

from app.eventstore import breaker as breaker_module
from app.eventstore.application import DatabaseUnavailable
from app.eventstore.breaker import means_database_down
from tests.controls import ADMIN, ADMIN_TOKEN
from tests.fault_controls import wait_until

NEEDING_THE_DATABASE = [
    "/api/postbacks",
    "/api/balances?webmaster=wm-1",
    "/api/ledger",
    "/api/recalculations",
    "/api/leads/00000000-0000-0000-0000-000000000000",
    "/api/exports/ledger",
]


@pytest.fixture
def database_down(demo, services, monkeypatch):
    """The breaker open, and its probe finding the database down until the test says."""
    answers = {"now": False}
    monkeypatch.setattr(breaker_module, "_database_answers", lambda _: answers["now"])
    services.breaker.trip(DatabaseUnavailable("test: the database is down"))
    assert services.breaker.is_open
    return answers


@pytest.mark.parametrize("path", NEEDING_THE_DATABASE)
def test_while_the_database_is_down_an_admin_read_answers_503_with_retry_after(
    demo, database_down, path
):
    response = demo.get(path, headers=ADMIN)

    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["error"] == "database_unavailable"


def test_while_the_database_is_down_the_support_page_says_so_in_a_page(demo, database_down):
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)

    response = demo.get("/support/postbacks")

    assert response.status_code == 503 and response.headers["retry-after"]
    assert "database is unavailable" in response.text


def test_while_the_database_is_down_liveness_and_the_api_docs_answer(demo, database_down):
    assert demo.get("/health/live").status_code == 200
    assert demo.get("/schema/openapi.json").status_code == 200
    assert demo.get("/health/ready").status_code == 503


def test_every_endpoint_serves_again_once_the_probe_finds_the_database(
    demo, services, database_down
):
    database_down["now"] = True

    assert wait_until(lambda: not services.breaker.is_open, 30)
    for path in NEEDING_THE_DATABASE:
        assert demo.get(path, headers=ADMIN).status_code in (200, 404), path


@pytest.mark.parametrize(
    ("error", "down"),
    [
        (psycopg.OperationalError("connection refused"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (DatabaseUnavailable("no connection within 0.8 s"), True),
        (psycopg.errors.LockNotAvailable("lock timeout"), False),
        (psycopg.errors.QueryCanceled("statement timeout"), False),
    ],
)
def test_only_a_failure_of_the_database_itself_opens_the_breaker(error, down):
    wrapped = eventsourcing.persistence.OperationalError(str(error))
    wrapped.__cause__ = error

    assert means_database_down(error) is down
    assert means_database_down(wrapped) is down
