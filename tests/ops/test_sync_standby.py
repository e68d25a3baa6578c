"""LEDGER_REQUIRE_SYNC_STANDBY=1: no serving and not ready without a synchronous standby."""

from __future__ import annotations

import dataclasses
import os
import subprocess

import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.services import Services
from tests.replication_controls import ReplicatedPostgres
from tests.servers import free_port, server_command, server_environment

REQUIRED = {"LEDGER_REQUIRE_SYNC_STANDBY": "1"}


@pytest.fixture(scope="module")
def cluster():
    replicated = ReplicatedPostgres(synchronous=True)
    yield replicated
    replicated.close()


def _ready(settings, address) -> tuple[int, dict]:
    required = dataclasses.replace(settings, require_sync_standby=True, run_projections=False)
    services = Services.open(required, address)
    services.start()
    try:
        with TestClient(create_app(required, services)) as client:
            response = client.get("/health/ready")
            return response.status_code, response.json()
    finally:
        services.close()


def test_ready_answers_503_naming_the_missing_synchronous_standby(settings, database):
    status, body = _ready(settings, database)

    assert status == 503
    assert any("no synchronous standby" in problem for problem in body["problems"])


def test_ready_answers_200_while_a_synchronous_standby_streams(settings, cluster):
    status, body = _ready(settings, cluster.address)

    assert (status, body["problems"]) == (200, [])


def test_serve_refuses_to_start_without_a_synchronous_standby_in_one_line(database, tmp_path):
    env = server_environment(database, tmp_path, "token", REQUIRED)
    done = subprocess.run(
        server_command(free_port(), 1, None),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no synchronous standby" in lines[0], done.stderr
    assert "serving on" not in done.stdout


def test_serve_checks_the_standby_of_the_primary_it_is_given(cluster, tmp_path):
    from app.ops.sync_standby import check_before_serving

    assert check_before_serving(cluster.address) is None
    assert os.path.isdir(cluster.standby_dir)
