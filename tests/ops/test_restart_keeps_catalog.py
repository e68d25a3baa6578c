"""`./scripts/serve` seeds an empty store with the demo catalog and never reverts an operator's.

Applying the demo catalog on every start superseded a back-dated rate by a new version "from
<restart time>" (in the audit trail for good) and dropped a webmaster's postback targets.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest

from domain.catalog import Catalog
from domain.webmaster_postbacks import WebmasterPostbacks
from tests.controls import ADMIN, ADMIN_TOKEN
from tests.servers import (
    REPOSITORY,
    LiveServer,
    free_port,
    server_command,
    server_environment,
    stop_server,
    wait_until_serving,
)

pytestmark = pytest.mark.slow

OPERATORS_CHANGE = b"""
[[webmasters]]
id = "wm-1"
name = "Traffic Co"
  [[webmasters.postbacks]]
  url = "https://tracker.example/pb?cid={sub1}&st={status}"
"""


def serve_script_arguments() -> list[str]:
    """The options `./scripts/serve` gives `postback-ledger serve`, read from the script."""
    line = next(
        line
        for line in (REPOSITORY / "scripts" / "serve").read_text().splitlines()
        if line.startswith("exec ")
    )
    words = shlex.split(line)
    return [word for word in words[words.index("serve") + 1 :] if word != '"$@"' and word != "$@"]


def start_like_serve_script(database, data_dir: Path) -> LiveServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / f"server-{port}.log"
    command = server_command(port, 1, None) + serve_script_arguments()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPOSITORY,
            env=server_environment(database, data_dir, ADMIN_TOKEN, None),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", ADMIN_TOKEN, log_path, process)
    try:
        wait_until_serving(server)
    except BaseException:
        stop_server(server)
        raise
    return server


def versions(database) -> tuple[int, int]:
    """The catalog's and the postback targets' aggregate versions."""
    with psycopg.connect(database.conninfo()) as connection:
        return tuple(
            connection.execute(
                "SELECT coalesce(max(originator_version), 0) FROM ledger_events"
                " WHERE originator_id = %s",
                (aggregate_id,),
            ).fetchone()[0]
            for aggregate_id in (Catalog.create_id(), WebmasterPostbacks.create_id())
        )


def test_a_restart_keeps_the_operators_catalog_and_postback_targets(database, tmp_path):
    first = start_like_serve_script(database, tmp_path / "first")
    try:
        applied = httpx.post(
            f"{first.base_url}/api/admin/catalog", content=OPERATORS_CHANGE, headers=ADMIN
        )
        assert applied.status_code == 200, applied.text
    finally:
        stop_server(first)
    operators = versions(database)
    assert operators[0] > 0 and operators[1] > 0

    second = start_like_serve_script(database, tmp_path / "second")
    try:
        assert versions(database) == operators, second.log_tail()
        assert "keeping the store's catalog" in second.log_tail()
    finally:
        stop_server(second)
