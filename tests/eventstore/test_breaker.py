"""The postback writer while PostgreSQL is down: refused 503 after a few attempts, then at once.

Each test runs a service on a PostgreSQL of its own, which it stops at the moments that used to
hold the writer thread for up to half a minute: in the middle of a batch, after its reads (the
append is retried by eventsourcing, 10 attempts), and when the pool has no connection left (each
attempt then waited the pool's whole timeout). What is asserted is what the writer does (how
many connections it asks for), not how long it takes, so a loaded machine changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.services import Services
from app.settings import Settings
from tests.controls import ADMIN, ADMIN_TOKEN, DEMO_CATALOG, create
from tests.fault_controls import OwnPostgres

pytestmark = pytest.mark.slow
EVENTSOURCING_RETRIES = 10


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    postgres = OwnPostgres()
    yield postgres
    postgres.close()


@pytest.fixture
def service(own_postgres: OwnPostgres, tmp_path) -> Iterator[tuple[TestClient, Services]]:
    settings = Settings(data_dir=tmp_path, admin_tokens={"support": ADMIN_TOKEN})
    services = Services.open(settings, own_postgres.new_database())
    services.start()
    with TestClient(create_app(settings, services)) as client:
        assert client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ADMIN).is_success
        assert send(client, "before-the-stop").status_code == 200
        yield client, services
    if not own_postgres.running:
        own_postgres.start()  # so that closing does not wait on a dead database
    services.close()


def send(client: TestClient, exto: str):
    return create(client, flow="101", exto=exto)


class WriterConnections:
    """Counts the connections the writer thread asks the pool for (through the breaker)."""

    def __init__(self, pool) -> None:
        self.asked = 0
        ask = pool.getconn

        def counted(*args, **kwargs):
            if threading.current_thread().name == "postback-writer":
                self.asked += 1
            return ask(*args, **kwargs)

        pool.getconn = counted

    def during(self, post) -> tuple[object, int]:
        before = self.asked
        response = post()
        return response, self.asked - before


def test_a_postback_whose_database_stops_in_the_middle_of_its_batch_is_refused_503_unretried(
    own_postgres, service
):
    client, services = service
    pool = services.ledger.recorder.datastore.pool
    services.catalog.replace(services.catalog.current())  # fresh: the batch reads events first
    _stop_after_the_writers_first_query(own_postgres, pool)
    connections = WriterConnections(pool)

    response, asked = connections.during(lambda: send(client, "stopped-mid-batch"))

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert asked < EVENTSOURCING_RETRIES  # the retry window cut eventsourcing's retries short


def test_postbacks_meeting_a_stopped_database_are_refused_503_then_without_touching_it(
    own_postgres, service
):
    client, services = service
    pool = services.ledger.recorder.datastore.pool
    own_postgres.stop()
    pool.check()  # drops the dead connections: none left
    connections = WriterConnections(pool)

    first, asked_first = connections.during(lambda: send(client, "first-while-down"))
    then, asked_then = connections.during(lambda: send(client, "next-while-down"))

    assert (first.status_code, then.status_code) == (503, 503), first.text
    assert first.headers["retry-after"] and then.headers["retry-after"]
    assert asked_first == 1  # no connection within the wait is final for the batch: no retry
    assert asked_then == 0  # the breaker is open: answered without asking for a connection


def _stop_after_the_writers_first_query(postgres: OwnPostgres, pool) -> None:
    """PostgreSQL stops as the writer thread hands back the connection of its first query."""
    hand_back = pool.putconn
    stopped = threading.Event()

    def hand_back_then_stop(connection) -> None:
        hand_back(connection)
        if threading.current_thread().name == "postback-writer" and not stopped.is_set():
            stopped.set()
            postgres.stop()

    pool.putconn = hand_back_then_stop
