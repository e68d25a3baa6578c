"""A real server for tests: `postback-ledger serve` (granian) in a subprocess on a test database.

Tests that need real HTTP and real processes (concurrency across workers, restarts, faults, the
README's curl lines) start one with `running_server(database, folder)`, or take the `live_server`
fixture (one worker, demo catalog applied). The server listens on a free port of 127.0.0.1 and
is stopped, with its whole process group, when the block ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.eventstore.database import DatabaseAddress
from tests.controls import ADMIN_TOKEN

REPOSITORY = Path(__file__).resolve().parent.parent
DEMO_CATALOG_FILE = REPOSITORY / "scripts" / "demo-catalog.toml"
STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0


class ServerFailed(RuntimeError):
    """The server did not come up; the message carries the end of its log."""


@dataclass
class LiveServer:
    """A running server: where it listens, how to reach its admin API, and its log."""

    base_url: str
    admin_token: str
    log_path: Path
    process: subprocess.Popen

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30.0, **options)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(port: int, workers: int, catalog: Path | None) -> list[str]:
    script = Path(sys.executable).parent / "postback-ledger"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    command += ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if catalog is not None:
        command += ["--apply-catalog", str(catalog)]
    return command


def server_environment(
    database: DatabaseAddress, data_dir: Path, admin_token: str, extra: dict[str, str] | None
) -> dict[str, str]:
    # A server names its connections itself (PGAPPNAME), unless its surroundings named them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_") and k != "PGAPPNAME"}
    env.update(
        DATABASE_URL=database.url(),
        LEDGER_ADMIN_TOKEN=admin_token,
        LEDGER_DATA_DIR=str(data_dir),
        LEDGER_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The server ends with this test run, even when the run is killed (app.ops.lifeline).
        LEDGER_SERVE_PID=str(os.getpid()),
    )
    env.update(extra or {})
    return env


@contextmanager
def running_server(
    database: DatabaseAddress,
    data_dir: Path,
    *,
    catalog: Path | None = DEMO_CATALOG_FILE,
    workers: int = 1,
    admin_token: str = ADMIN_TOKEN,
    env: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """Serve on `database` until the block ends; `catalog` is applied before serving."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(port, workers, catalog),
            cwd=REPOSITORY,
            env=server_environment(database, data_dir, admin_token, env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its workers
        )
    server = LiveServer(f"http://127.0.0.1:{port}", admin_token, log_path, process)
    try:
        wait_until_serving(server)
        yield server
    finally:
        stop_server(server)


def wait_until_serving(server: LiveServer, timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(
                f"server exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            if httpx.get(f"{server.base_url}/schema/openapi.json", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise ServerFailed(f"server not serving after {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: LiveServer) -> None:
    """SIGTERM to the server's process group, SIGKILL to whatever of it lingers.

    The group is signalled even when its leader has already exited (a test killed it, or it
    crashed): its granian workers and projection process may outlive it, still listening.
    """
    _signal_group(server.process, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        server.process.wait(STOP_SECONDS)
    if not _group_ended(server.process.pid, STOP_SECONDS):
        _signal_group(server.process, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            server.process.wait(STOP_SECONDS)
        assert _group_ended(server.process.pid, STOP_SECONDS), "the server's processes survive"


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _group_ended(group: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _live_members(group):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _live_members(group: int) -> list[int]:
    """Pids of the processes of this group that still run (zombies wait only to be reaped)."""
    return [pid for pid, state, _, pgrp in process_table() if pgrp == group and state not in "ZX"]


def process_table() -> list[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, read from /proc."""
    table = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
            state, ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
            table.append((int(stat.parent.name), state, int(ppid), int(pgrp)))
    return table


@pytest.fixture
def live_server(database: DatabaseAddress, tmp_path: Path) -> Iterator[LiveServer]:
    """A real one-worker server on this test's database, with the demo catalog applied."""
    with running_server(database, tmp_path / "live") as server:
        yield server
