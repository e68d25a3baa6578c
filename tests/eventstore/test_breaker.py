"""The postback writer while PostgreSQL is down: refused 503 in seconds, then at once.

Each test runs a service on a PostgreSQL of its own, which it stops at the moments that used to
hold the writer thread for up to half a minute: in the middle of a batch, after its reads (the
append is retried by eventsourcing, 10 attempts), and when the pool has no connection left (each
attempt then waited the pool's whole timeout).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.services import Services
from app.settings import Settings
from tests.controls import ADMIN, ADMIN_TOKEN, DEMO_CATALOG, create
from tests.fault_controls import OwnPostgres

pytestmark = pytest.mark.slow
ANSWER_WITHIN_SECONDS = 5.0
AT_ONCE_SECONDS = 1.0


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


def timed(post) -> tuple[object, float]:
    started = time.monotonic()
    response = post()
    return response, time.monotonic() - started


def test_a_postback_whose_database_stops_in_the_middle_of_its_batch_is_refused_503_in_seconds(
    own_postgres, service
):
    client, services = service
    services.catalog.replace(services.catalog.current())  # fresh: the batch reads events first
    _stop_after_the_writers_first_query(own_postgres, services.ledger.recorder.datastore.pool)

    response, seconds = timed(lambda: send(client, "stopped-mid-batch"))

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert seconds < ANSWER_WITHIN_SECONDS


def test_postbacks_meeting_a_stopped_database_are_refused_503_in_seconds_then_at_once(
    own_postgres, service
):
    client, services = service
    own_postgres.stop()
    services.ledger.recorder.datastore.pool.check()  # drops the dead connections: none left

    first, first_seconds = timed(lambda: send(client, "first-while-down"))
    then, then_seconds = timed(lambda: send(client, "next-while-down"))

    assert (first.status_code, then.status_code) == (503, 503), first.text
    assert first.headers["retry-after"] and then.headers["retry-after"]
    assert first_seconds < ANSWER_WITHIN_SECONDS
    assert then_seconds < AT_ONCE_SECONDS


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
