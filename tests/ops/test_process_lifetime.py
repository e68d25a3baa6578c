"""`serve` leaves nothing running when it dies, refuses a busy port, and the test run checks
that it leaves no process or temporary data of its own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from app.eventstore.database import embedded_running
from tests import leftovers
from tests.controls import SITE_TOKEN
from tests.fault_controls import wait_until
from tests.servers import running_server, server_command, server_environment

pytestmark = pytest.mark.slow
GONE_WITHIN_SECONDS = 30.0  # "a few seconds" on an idle machine; generous for a loaded one


def children_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text and "\nState:\tZ" not in text:
            found.append(int(status.parent.name))
    return found


def all_gone(pids: list[int], timeout: float = GONE_WITHIN_SECONDS) -> list[int]:
    """The pids still alive (and not zombies) once `timeout` has passed, or none sooner."""
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid in pids if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def described(pids: list[int]) -> list[str]:
    """Each live pid with its command line and state, for the failure message."""
    found = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = Path(f"/proc/{pid}/status").read_text().split("\nState:\t")[1].split("\n")[0]
            stack = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            continue
        found.append(f"{pid} [{state}, {stack}] {command}")
    return found


def _alive(pid: int) -> bool:
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_every_child_of_serve_ends_when_serve_is_killed_with_sigkill(database, tmp_path):
    with running_server(database, tmp_path / "server", workers=2) as server:
        children = _wait_for_children(server.process.pid, at_least=3)  # 2 workers, 1 read model
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)

        left = all_gone(children)
        assert left == [], f"children of the killed server still run: {described(left)}"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.base_url}/health/live", timeout=5)


def _wait_for_children(pid: int, at_least: int) -> list[int]:
    deadline = time.monotonic() + 60
    while len(found := children_of(pid)) < at_least and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(found) >= at_least, found
    return found


def test_serve_on_a_port_in_use_exits_with_a_clear_message_and_code_1(database, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = server_environment(database, tmp_path, "t0ken", None)
        finished = subprocess.run(
            server_command(port, 1, None), env=env, capture_output=True, text=True, timeout=120
        )

    assert finished.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.fixture
def embedded_data():
    folder = leftovers.temp_folder("pld")  # short: the PostgreSQL socket lives inside
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_embedded_postgres_of_a_killed_server_is_joined_by_the_next_and_stopped_with_it(
    database, embedded_data
):
    embedded = {"DATABASE_URL": ""}  # no external database: serve starts the embedded one
    with running_server(database, embedded_data, env=embedded) as first:
        exto = _create_lead(first)
        children = children_of(first.process.pid)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
        assert all_gone(children) == []
    assert embedded_running(embedded_data / "pg"), "PostgreSQL keeps running for the next start"

    with running_server(database, embedded_data, env=embedded) as second:
        assert _logged_eventually(second, exto), second.log_tail()

    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    while embedded_running(embedded_data / "pg") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not embedded_running(embedded_data / "pg"), "the last server out stops PostgreSQL"


def _logged_eventually(server, exto: str) -> bool:
    """The lead made before the kill is in the postback log the next server reads."""
    deadline = time.monotonic() + GONE_WITHIN_SECONDS
    with server.client() as http:
        while time.monotonic() < deadline:
            found = http.get("/api/postbacks", params={"exto": exto}, headers=server.admin_headers)
            if found.status_code == 200 and found.json()["items"]:
                return True
            time.sleep(0.2)
    return False


def _create_lead(server) -> str:
    exto = f"kept-{time.monotonic_ns()}"
    with server.client() as http:
        response = http.get(
            "/api/site/click.json", params={"token": SITE_TOKEN, "flow": "101", "exto": exto}
        )
    assert response.status_code == 200, response.text
    return exto


def test_the_leftover_check_finds_a_process_of_the_run_and_ends_it():
    # The run's mark handed over explicitly: another test may have swapped os.environ meanwhile.
    marked = {**os.environ, leftovers.MARK: leftovers.RUN}
    straggler = subprocess.Popen(["sleep", "600"], start_new_session=True, env=marked)
    try:
        assert wait_until(lambda: straggler.pid in [p for p, _ in leftovers.processes_left()], 30)
        leftovers.end([(straggler.pid, "sleep")])
        straggler.wait(10)
        assert straggler.pid not in [pid for pid, _ in leftovers.processes_left()]
    finally:
        if straggler.poll() is None:
            straggler.kill()
            straggler.wait()


def test_the_leftover_check_finds_a_temporary_folder_of_the_run():
    folder = leftovers.temp_folder("plx")
    try:
        assert folder in leftovers.folders_left()
    finally:
        folder.rmdir()
    assert folder not in leftovers.folders_left()
