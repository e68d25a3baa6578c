"""LEDGER_READ_URL: support and admin reads from a replica; `after=` falls back to the primary.

A primary and an asynchronous standby from the embedded wheel's binaries; the service writes to
the primary and reads support answers from the standby. With the standby's replay paused
(`pg_wal_replay_pause()`), it falls behind for as long as the test wants, without timing.
"""

from __future__ import annotations

import dataclasses

import psycopg
import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.services import Services
from tests.controls import ADMIN, DEMO_CATALOG, change, create
from tests.fault_controls import wait_until
from tests.replication_controls import ReplicatedPostgres


@pytest.fixture(scope="module")
def cluster():
    replicated = ReplicatedPostgres(synchronous=False)
    yield replicated
    replicated.close()


@pytest.fixture
def replica_reads(settings, cluster):
    """A service on the primary whose support reads go to the standby; replay resumed after."""
    read_url = cluster.single(cluster.standby_dir).url()
    with_replica = dataclasses.replace(settings, read_url=read_url)
    services = Services.open(with_replica, cluster.single(cluster.primary_dir))
    services.start()
    try:
        with TestClient(create_app(with_replica, services)) as client:
            assert client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ADMIN).is_success
            yield client, services
    finally:
        services.close()
        _replay(cluster, "resume")


def _replay(cluster, what: str) -> None:
    standby = cluster.single(cluster.standby_dir)
    with psycopg.connect(standby.conninfo(), autocommit=True) as connection:
        connection.execute(f"SELECT pg_wal_replay_{what}()")


def _commission(client, lead_id: str, after: int = 0):
    params = {"after": after} if after else {}
    return client.get(f"/api/leads/{lead_id}/commission", params=params, headers=ADMIN)


def test_a_read_naming_a_position_the_paused_replica_lacks_is_answered_from_the_primary(
    replica_reads, cluster
):
    client, services = replica_reads
    first = create(client, flow="101", exto="seen-by-replica").json()
    assert wait_until(lambda: _commission(client, first["id"]).status_code == 200, 30)
    _replay(cluster, "pause")

    second = create(client, flow="101", exto="after-pause").json()

    assert _commission(client, second["id"]).status_code == 404  # the replica answers alone
    assert _commission(client, second["id"], after=second["position"]).status_code == 200
    history = client.get(
        f"/api/leads/{second['id']}/history", params={"after": second["position"]}, headers=ADMIN
    )
    assert history.status_code == 200, history.text
    assert services.replica.reads >= 2 and services.replica.fallbacks >= 2


def test_a_lead_is_read_from_the_replica_and_after_falls_back_to_the_primary(
    replica_reads, cluster
):
    client, services = replica_reads
    created = create(client, flow="101", exto="lead-on-replica").json()
    assert wait_until(lambda: _status(cluster.standby_dir, cluster, created["id"]) == "new", 30)
    _replay(cluster, "pause")
    reads, fallbacks = services.replica.reads, services.replica.fallbacks

    approved = change(client, flow="101", exto="lead-on-replica", status="approve").json()
    primary = cluster.primary_dir
    assert wait_until(lambda: _status(primary, cluster, created["id"]) == "approve", 30)

    assert _lead(client, created["id"]).json()["status"] == "new"  # the paused replica answers
    after = _lead(client, created["id"], after=approved["position"])
    assert after.json()["status"] == "approve"
    assert services.replica.reads > reads and services.replica.fallbacks > fallbacks


def _lead(client, lead_id: str, after: int = 0):
    params = {"after": after} if after else {}
    response = client.get(f"/api/leads/{lead_id}", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response


def _status(folder, cluster, lead_id: str) -> str | None:
    """The lead's status in the lead view of the server in `folder` (primary or standby)."""
    with psycopg.connect(cluster.single(folder).conninfo(), autocommit=True) as connection:
        row = connection.execute("SELECT status FROM lead_view WHERE id = %s", (lead_id,))
        found = row.fetchone()
    return found[0] if found else None


def test_postback_handling_never_reads_the_replica(replica_reads, cluster):
    client, _ = replica_reads
    _replay(cluster, "pause")

    created = create(client, flow="101", exto="only-on-primary").json()
    repeated = create(client, flow="101", exto="only-on-primary").json()

    assert repeated["id"] == created["id"]
    assert repeated["outcome"] == "duplicate"


def test_the_postback_log_is_read_from_the_replica(replica_reads, cluster):
    client, _ = replica_reads
    create(client, flow="101", exto="logged")
    assert wait_until(lambda: _logged(client, "logged"), 30)
    _replay(cluster, "pause")

    create(client, flow="101", exto="logged-after-pause")

    assert not _logged(client, "logged-after-pause")


def _logged(client, exto: str) -> bool:
    response = client.get("/api/postbacks", params={"exto": exto}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return bool(response.json()["items"])


def test_the_support_page_lists_postbacks_from_the_replica(replica_reads, cluster):
    client, _ = replica_reads
    client.cookies.set("ledger_admin", ADMIN["Authorization"].removeprefix("Bearer "))
    create(client, flow="101", exto="support-seen")
    assert wait_until(lambda: "support-seen" in _support_postbacks(client), 30)
    _replay(cluster, "pause")

    create(client, flow="101", exto="support-after-pause")
    assert wait_until(lambda: _logged_on(cluster.primary_dir, cluster, "support-after-pause"), 30)

    assert "support-after-pause" not in _support_postbacks(client)


def _logged_on(folder, cluster, exto: str) -> bool:
    """The postback log of the server in `folder` (primary or standby) holds `exto`."""
    with psycopg.connect(cluster.single(folder).conninfo(), autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM postback_log WHERE exto = %s", (exto,))
        return found.fetchone() is not None


def _support_postbacks(client) -> str:
    response = client.get("/support/postbacks")
    assert response.status_code == 200, response.text
    return response.text


def test_exports_are_read_from_the_replica(replica_reads, cluster):
    client, _ = replica_reads
    create(client, flow="101", exto="exported")
    assert wait_until(lambda: "exported" in _exported(client), 30)
    _replay(cluster, "pause")

    create(client, flow="101", exto="exported-after-pause")

    assert "exported-after-pause" not in _exported(client)


def _exported(client) -> str:
    response = client.get("/api/exports/postbacks", params={"format": "ndjson"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.text


def test_reads_go_to_the_primary_while_the_replica_does_not_answer(settings):
    cluster = ReplicatedPostgres(synchronous=False)
    try:
        with_replica = dataclasses.replace(
            settings, read_url=cluster.single(cluster.standby_dir).url()
        )
        services = Services.open(with_replica, cluster.single(cluster.primary_dir))
        services.start()
        try:
            with TestClient(create_app(with_replica, services)) as client:
                applied = client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ADMIN)
                assert applied.is_success, applied.text
                cluster.stop_standby()
                created = create(client, flow="101", exto="replica-down").json()

                answered = _commission(client, created["id"], after=created["position"])
                found = _logged(client, "replica-down")
        finally:
            services.close()
    finally:
        cluster.close()
    assert answered.status_code == 200, answered.text
    assert found and not services.breaker.is_open
