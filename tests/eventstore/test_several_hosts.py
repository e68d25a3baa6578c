"""A DATABASE_URL naming several hosts (a primary and its standbys) reaches the one that writes."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress
from app.eventstore.persistence import connection_to_primary
from domain.click import Click
from tests.replication_controls import ReplicatedPostgres

TWO_HOSTS = "postgresql://ledger:pw@db-a:5432,db-b:5433/ledger"


def test_a_url_with_two_hosts_asks_for_the_one_that_accepts_writes():
    address = DatabaseAddress.from_url(TWO_HOSTS)

    assert (address.host, address.port) == ("db-a,db-b", "5432,5433")
    assert address.target_session_attrs == "read-write"
    assert "target_session_attrs=read-write" in address.conninfo()
    assert DatabaseAddress.from_url(address.url()) == address


def test_a_url_with_one_host_keeps_its_old_form():
    address = DatabaseAddress.from_url("postgresql://ledger:pw@db-a:5433/ledger")

    assert (address.host, address.port, address.target_session_attrs) == ("db-a", 5433, "")
    assert address.url() == "postgresql://ledger:pw@db-a:5433/ledger"


def test_a_socket_folder_list_round_trips_through_the_url():
    url = "postgresql://postgres@/postgres?host=/tmp/a,/tmp/b&port=5432,5432"
    address = DatabaseAddress.from_url(url)

    assert address.host == "/tmp/a,/tmp/b"
    assert DatabaseAddress.from_url(address.url()) == address


def test_a_url_that_is_not_postgresql_is_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="DATABASE_URL"):
        DatabaseAddress.from_url("mysql://db/ledger")


def test_the_event_store_skips_a_lost_first_host_and_writes_to_the_next(database, tmp_path):
    lost = str(tmp_path / "gone")  # a socket folder nobody listens in, as a dead primary's
    address = dataclasses.replace(
        database,
        host=f"{lost},{database.host}",
        port=f"{database.port},{database.port}",
        target_session_attrs="read-write",
    )
    ledger = LedgerApplication(env=address.eventsourcing_env(2))
    try:
        click = ledger.record_click("c-1", 101, "offer-1", "wm-1", "1.2.3.4", "ua", {})
        assert ledger.repository.get(click.id).click == "c-1"
        pool_params = ledger.recorder.datastore.pool.kwargs
        assert pool_params["target_session_attrs"] == "read-write"
    finally:
        ledger.close()
    assert isinstance(click, Click)


def test_a_pooled_connection_to_a_primary_passes_the_pool_check(database):
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        connection_to_primary(connection)
        assert not connection.closed


def test_the_urls_other_parameters_reach_every_connection_and_the_url_again():
    url = "postgresql://ledger:pw@db-a:5432/ledger?sslmode=require&application_name=ledger"
    address = DatabaseAddress.from_url(url)

    assert "sslmode=require" in address.conninfo()
    assert address.libpq_options()["application_name"] == "ledger"
    assert DatabaseAddress.from_url(address.url()) == address


def test_a_dead_machine_ends_a_connection_in_seconds_unless_the_url_says_otherwise():
    default = DatabaseAddress.from_url("postgresql://ledger@db-a/ledger")
    own = DatabaseAddress.from_url("postgresql://ledger@db-a/ledger?tcp_user_timeout=20000")

    assert default.libpq_options()["tcp_user_timeout"] == "5000"
    assert default.libpq_options()["keepalives_idle"] == "5"
    assert own.libpq_options()["tcp_user_timeout"] == "20000"


def test_the_event_store_pool_connects_with_the_urls_parameters(database):
    address = dataclasses.replace(database, options="application_name=ledger-test")
    ledger = LedgerApplication(env=address.eventsourcing_env(2))
    try:
        with ledger.recorder.datastore.get_connection() as connection:
            name = connection.execute("SHOW application_name").fetchone()["application_name"]
    finally:
        ledger.close()
    assert name == "ledger-test"


def test_a_pooled_connection_to_a_standby_fails_the_pool_check_and_is_closed():
    cluster = ReplicatedPostgres(synchronous=False)
    try:
        standby = cluster.single(cluster.standby_dir)
        connection = psycopg.connect(standby.conninfo(), autocommit=True)
        with pytest.raises(psycopg.OperationalError, match="standby"):
            connection_to_primary(connection)
        assert connection.closed
    finally:
        cluster.close()
