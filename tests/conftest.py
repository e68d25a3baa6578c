"""Test fixtures: a real PostgreSQL (embedded, or DATABASE_URL), a fresh database per test.

Each test gets its own database created on the shared server, so tests never see each other's
events and can run in any order.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar.testing import TestClient

from app.eventstore.database import DatabaseAddress, embedded_address, start_embedded
from app.main import create_app
from app.services import Services
from app.settings import Settings
from tests import leftovers
from tests.controls import ADMIN, ADMIN_TOKEN, DEMO_CATALOG
from tests.leftovers import temp_folder
from tests.servers import live_server  # noqa: F401 - a fixture for every test module

# The stateful ledger machine's budget (tests/ledger/test_stateful.py). Every step is real HTTP,
# real PostgreSQL and a projection catch-up, a few tenths of a second: "ci" is what every run
# affords, "long" (`./scripts/test --long`, which sets TEST_BUDGET=long) explores for an hour or
# so. Too slow is the only health check left out: a step is slow because it does real work.
for budget, examples, steps in (("ci", 20, 30), ("long", 300, 50)):
    hypothesis_settings.register_profile(
        f"ledger-machine-{budget}",
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def pytest_configure(config: pytest.Config) -> None:
    """A run stopped with SIGTERM (a CI timeout, a `kill`) tears down as Ctrl-C does: the
    servers, workers and the embedded PostgreSQL it started stop, and their folders go."""
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


@pytest.fixture
def ledger_machine_settings() -> hypothesis_settings:
    return hypothesis_settings.get_profile(f"ledger-machine-{os.environ.get('TEST_BUDGET', 'ci')}")


@pytest.fixture(scope="session")
def server_address() -> Iterator[DatabaseAddress]:
    if os.environ.get("DATABASE_URL"):
        yield DatabaseAddress.from_url(os.environ["DATABASE_URL"])
        return
    # A short path: PostgreSQL's Unix socket path must stay under ~107 bytes.
    folder = temp_folder("plt")
    server = start_embedded(folder)
    yield embedded_address(server)
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database(server_address: DatabaseAddress) -> Iterator[DatabaseAddress]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_address.conninfo(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server_address.with_dbname(name)
    with psycopg.connect(server_address.conninfo(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, admin_tokens={"support": ADMIN_TOKEN}, pool_size=5)


@pytest.fixture
def services(settings: Settings, database: DatabaseAddress) -> Iterator[Services]:
    opened = Services.open(settings, database)
    opened.start()
    yield opened
    opened.close()


@pytest.fixture
def client(settings: Settings, services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(settings, services)) as test_client:
        yield test_client


@pytest.fixture
def demo(client: TestClient) -> TestClient:
    """A client whose service has the demo catalog applied."""
    response = client.post(
        "/api/admin/catalog",
        content=DEMO_CATALOG,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    return client


@pytest.fixture
def paused_projections(settings, database) -> Iterator[tuple[TestClient, Services]]:
    """A service whose projections run only when the test says so."""
    services = Services.open(dataclasses.replace(settings, run_projections=False), database)
    services.start()
    with TestClient(create_app(settings, services)) as client:
        assert client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ADMIN).is_success
        yield client, services
    services.close()


@pytest.hookimpl(trylast=True)  # after pytest removed the tmp_path folders of passed tests
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it leaves a process or temporary data of its own behind."""
    processes = leftovers.processes_left_after(leftovers.SETTLE_SECONDS)
    folders = leftovers.folders_left()
    factory = session.config._tmp_path_factory  # type: ignore[attr-defined]
    basetemp = factory._basetemp
    if exitstatus == 0 and factory._given_basetemp is None and basetemp and basetemp.exists():
        folders.append(basetemp)
    if not processes and not folders:
        return
    leftovers.end(processes)
    report = session.config.get_terminal_writer()
    report.line("\nthe test run left behind (processes were killed now):", red=True)
    for pid, command in processes:
        report.line(f"  process {pid}: {command[:200]}")
    for folder in folders:
        report.line(f"  folder {folder}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
