"""`serve` feeds the read models from a process of its own, keeps it alive, and never orphans it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.controls import SITE_TOKEN
from tests.servers import running_server

pytestmark = pytest.mark.slow


def _projection_processes_of(server_pid: int) -> list[int]:
    """Pids of `projections run` processes whose parent is the server's main process."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
            command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == server_pid and b"projections run" in command:
            found.append(int(status.parent.name))
    return found


def _wait_for(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    return check()


def _create_then_read_back(server, exto: str):
    """Create a lead, then read it from the lead view once the projections have reached it."""
    with server.client() as http:
        created = http.get(
            "/api/site/click.json", params={"token": SITE_TOKEN, "flow": "101", "exto": exto}
        ).json()
        return http.get(
            f"/api/leads/{created['id']}",
            params={"after": created["position"]},
            headers=server.admin_headers,
        )


def test_served_leads_are_projected_by_a_process_beside_the_workers(database, tmp_path):
    with running_server(database, tmp_path / "server", workers=2) as server:
        runners = _wait_for(lambda: _projection_processes_of(server.process.pid))
        assert len(runners) == 1
        shown = _create_then_read_back(server, "p-1")
        assert shown.status_code == 200
        assert shown.json()["status"] == "new"


def test_a_projection_process_that_dies_is_started_again(database, tmp_path):
    with running_server(database, tmp_path / "server") as server:
        [first] = _wait_for(lambda: _projection_processes_of(server.process.pid))
        os.kill(first, signal.SIGKILL)
        restarted = _wait_for(
            lambda: [pid for pid in _projection_processes_of(server.process.pid) if pid != first]
        )
        assert len(restarted) == 1
        shown = _create_then_read_back(server, "p-2")
        assert shown.status_code == 200, "the restarted runner feeds the lead view"


def test_the_projection_process_ends_when_the_server_is_killed(database, tmp_path):
    with running_server(database, tmp_path / "server") as server:
        [runner] = _wait_for(lambda: _projection_processes_of(server.process.pid))
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        assert _wait_for(lambda: not Path(f"/proc/{runner}").exists() or _is_zombie(runner))


def _is_zombie(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


def test_projections_off_starts_no_projection_process(database, tmp_path):
    with running_server(
        database, tmp_path / "server", env={"LEDGER_RUN_PROJECTIONS": "0"}
    ) as server:
        # `serve` starts the projection process before granian serves (its Popen returns once
        # the child has exec'd), so it would be there by the time the server answered.
        assert _projection_processes_of(server.process.pid) == []
