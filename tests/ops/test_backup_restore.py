"""A backup an operator can trust: `database dump`, then `database restore` into a fresh database
passes `audit verify` and `audit check` there, and the restored service answers the same balances.

The commands are run as docs/operations.md tells an operator to run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from litestar.testing import TestClient

from app.eventstore.database import DatabaseAddress
from app.main import create_app
from app.services import Services
from tests.checks import accepted
from tests.controls import ADMIN, change, create, new_click

SCRIPT = Path(sys.executable).parent / "postback-ledger"
HOLDERS = [
    {"webmaster": "wm-1"},
    {"webmaster": "wm-2"},
    {"advertiser": "adv-1"},
    {"advertiser": "adv-2"},
    {"network": "1"},
]


def command(database: DatabaseAddress, *arguments: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(DATABASE_URL=database.url(), LEDGER_LOG_LEVEL="WARNING")
    return subprocess.run(
        [str(SCRIPT), *arguments], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def fresh_database(server_address: DatabaseAddress) -> Iterator[DatabaseAddress]:
    name = f"r_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_address.conninfo(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server_address.with_dbname(name)
    with psycopg.connect(server_address.conninfo(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def balances(client: TestClient, after: int | None = None) -> list[dict]:
    found = []
    for holder in HOLDERS:
        params = {**holder, **({"after": after} if after else {})}
        response = client.get("/api/balances", params=params, headers=ADMIN)
        assert response.status_code == 200, response.text
        found.append(response.json())
    return found


def some_business(client: TestClient) -> int:
    """Leads on both offers, approved, held, cancelled; the last event's position."""
    position = 0
    for n, (flow, status) in enumerate([("cc-traffic", "approve"), ("cc-push", "hold")] * 3):
        click = new_click(client, flow=flow)
        accepted(create(client, click=click, exto=f"b-{n}"))
        position = accepted(change(client, click=click, exto=f"b-{n}", status=status))["position"]
    loan = accepted(create(client, flow="201", exto="loan-1", token="8-l0an-key"))
    cancelled = change(client, flow="201", exto="loan-1", token="8-l0an-key", status="cancel")
    return max(position, loan["position"], accepted(cancelled)["position"])


def test_a_dump_restored_into_a_fresh_database_passes_the_audits_and_gives_the_same_balances(
    demo, database, fresh_database, settings, tmp_path
):
    before = balances(demo, after=some_business(demo))
    assert all(answer["balances"] for answer in before), before
    dump = tmp_path / "ledger.dump"

    dumped = command(database, "database", "dump", str(dump))
    restored = command(fresh_database, "database", "restore", str(dump))
    verified = command(fresh_database, "audit", "verify")
    checked = command(fresh_database, "audit", "check")

    assert dumped.returncode == 0, dumped.stderr
    assert restored.returncode == 0, restored.stderr
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "all invariants hold" in checked.stdout
    services = Services.open(settings, fresh_database)
    services.start()
    try:
        with TestClient(create_app(settings, services)) as client:
            assert balances(client) == before
    finally:
        services.close()


def test_restore_refuses_a_database_that_already_holds_a_ledger(demo, database, tmp_path):
    dump = tmp_path / "ledger.dump"
    assert command(database, "database", "dump", str(dump)).returncode == 0

    again = command(database, "database", "restore", str(dump))

    assert again.returncode == 2
    assert "already holds a ledger" in again.stderr
