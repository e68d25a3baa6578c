"""What survives: a restarted service keeps everything; a database outage is a 503, never a 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from app.eventstore.database import DatabaseAddress
from app.main import create_app
from app.services import Services
from tests.checks import accepted, stored_postbacks
from tests.controls import ADMIN, DEMO_CATALOG, change, create, lead, new_click, postbacks
from tests.servers import running_server


@contextmanager
def serving(settings, database: DatabaseAddress) -> Iterator[tuple[TestClient, Services]]:
    """One life of the service: opened on the database, closed at the end of the block."""
    services = Services.open(settings, database)
    services.start()
    try:
        with TestClient(create_app(settings, services)) as client:
            yield client, services
    finally:
        services.close()


def test_a_restarted_service_keeps_leads_postbacks_clicks_and_the_catalog(settings, database):
    with serving(settings, database) as (client, services):
        assert client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ADMIN).is_success
        click = new_click(client)
        created = accepted(create(client, click=click, exto="r-1", pay="18.40", cc="EUR"))
        approved = accepted(change(client, click=click, exto="r-1", status="approved"))
        before = lead(client, created["id"], after=approved["position"])
        logged = stored_postbacks(client, services)

    with serving(settings, database) as (client, services):
        assert lead(client, created["id"]) == before
        assert stored_postbacks(client, services) == logged
        assert services.ledger.repository.get(UUID(created["id"])).version == 3
        again = accepted(create(client, click=click, exto="r-1"))
        assert (again["id"], again["outcome"]) == (created["id"], "duplicate")
        assert (
            accepted(change(client, click=click, exto="r-1", status="cancel"))["id"]
            == (created["id"])
        )
        assert new_click(client)  # the catalog's flows are still known


def test_a_restarted_server_process_keeps_all_data(database, tmp_path):
    with running_server(database, tmp_path / "first") as server, server.client() as http:
        click = new_click(http)
        created = accepted(create(http, click=click))
        approved = accepted(change(http, click=click, status="approved"))
        before = lead(http, created["id"], after=approved["position"])

    with (
        running_server(database, tmp_path / "second", catalog=None) as server,
        server.client() as http,
    ):
        assert lead(http, created["id"]) == before
        assert {row["outcome"] for row in postbacks(http, click=click)} == {
            "created",
            "changed",
        }
        assert accepted(create(http, click=click))["outcome"] == "duplicate"


@contextmanager
def database_refusing_connections(database: DatabaseAddress) -> Iterator[None]:
    """The test database goes away: no new connections, and every open one is cut."""
    server = database.with_dbname("postgres").conninfo()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database.dbname}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (database.dbname,),
        )
        try:
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{database.dbname}" ALLOW_CONNECTIONS true')


@pytest.fixture
def outage(demo, services, database):
    """A lead exists, then the database becomes unreachable until the test ends."""
    click = new_click(demo)
    accepted(create(demo, click=click))
    services.runner.stop()  # keep the runner's reconnect attempts out of the picture
    with database_refusing_connections(database):
        yield click


def assert_retry_later(response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0


def test_while_the_database_is_down_postbacks_and_admin_reads_answer_503_with_retry_after(
    demo, outage
):
    click = outage
    answers = {
        "status postback": change(demo, click=click, status="approved"),
        "creation postback": create(demo, flow="101", exto="down-1"),
        "form postback": demo.post(
            "/api/site/status.json", data={"token": "7-s3cr3t", "click": click, "status": "a"}
        ),
        "lead": demo.get("/api/leads/00000000-0000-0000-0000-000000000000", headers=ADMIN),
        "postback log": demo.get("/api/postbacks", headers=ADMIN),
    }

    for name, response in answers.items():
        assert response.status_code == 503, (name, response.status_code, response.text)
        assert_retry_later(response)
        assert response.json()["error"] == "database_unavailable", name


def test_while_the_database_is_down_a_known_tracking_link_still_sends_the_visitor_on(
    demo, services, outage
):
    response = demo.get("/go/cc-traffic", follow_redirects=False)

    assert response.status_code == 302
    assert response.headers["location"].startswith("https://acme.example/land?click=")
    assert len(services.deferred_clicks) == 1, "the click waits to be recorded"


def test_while_the_database_is_down_an_unknown_tracking_link_answers_503_not_a_redirect(
    demo, outage
):
    assert_retry_later(change(demo, click=outage, status="hold"))  # the service knows it is down
    response = demo.get("/go/no-such-flow", follow_redirects=False)

    assert_retry_later(response)
    assert "location" not in response.headers


def test_a_click_sent_on_while_the_database_was_down_is_recorded_once_it_is_back(
    demo, services, database
):
    new_click(demo)  # the catalog is in the cache
    with database_refusing_connections(database):
        landing = demo.get("/go/cc-traffic", follow_redirects=False).headers["location"]
    click = httpx.URL(landing).params["click"]

    deadline = time.monotonic() + 60
    while services.deferred_clicks and time.monotonic() < deadline:
        time.sleep(0.2)  # until the breaker's probe finds the database back
        demo.get("/go/cc-traffic", follow_redirects=False)

    assert accepted(create(demo, click=click, exto="after-outage"))["outcome"] == "created"


def test_postbacks_are_accepted_again_once_the_database_is_back(demo, services, database):
    click = new_click(demo)
    created = accepted(create(demo, click=click))
    with database_refusing_connections(database):
        assert_retry_later(change(demo, click=click, status="hold"))

    response = change(demo, click=click, status="hold")
    deadline = time.monotonic() + 60
    while response.status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.5)  # the connection pool reconnects in the background, with backoff
        response = change(demo, click=click, status="hold")

    assert accepted(response)["id"] == created["id"]
    assert services.ledger.repository.get(UUID(created["id"])).version == 2
