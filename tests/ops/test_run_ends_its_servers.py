"""A test run that is killed takes the servers it started with it.

`running_server` starts `serve` in a process group of its own (so that stopping it stops its
workers), which also keeps it out of reach of a signal to the run's group: a run killed by CI's
timeout used to leave servers answering on their ports. `serve` now ends with the run that
started it (`LEDGER_SERVE_PID`, `app.ops.lifeline`), and its children end with it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from tests.servers import REPOSITORY, _group_ended, _live_members

INNER_TEST = """
import os, time
from pathlib import Path
from app.eventstore.database import DatabaseAddress
from tests.servers import running_server

def test_serve_then_wait(tmp_path):
    database = DatabaseAddress.from_url(os.environ["DATABASE_URL"])
    with running_server(database, Path(os.environ["INNER_DATA"])) as server:
        Path(os.environ["INNER_PID_FILE"]).write_text(str(server.process.pid))
        time.sleep(600)
"""


def test_a_killed_test_run_leaves_no_server_running(database, tmp_path):
    test_file = tmp_path / "test_inner_run.py"
    test_file.write_text(INNER_TEST)
    pid_file = tmp_path / "serve.pid"
    env = dict(
        os.environ,
        DATABASE_URL=database.url(),
        INNER_DATA=str(tmp_path / "data"),
        INNER_PID_FILE=str(pid_file),
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=REPOSITORY,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        serve_pid = wait_for_pid(pid_file, run)
        assert _live_members(serve_pid), "the inner run's server is not running"

        run.send_signal(signal.SIGKILL)
        run.wait(10)

        assert _group_ended(serve_pid, 20), "the server outlived the run that started it"
    finally:
        run.kill()
        run.wait(10)
        if pid_file.exists():  # never leave it behind, whatever was asserted
            with suppress(ProcessLookupError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def wait_for_pid(pid_file: Path, run: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text():
            return int(pid_file.read_text())
        assert run.poll() is None, "the inner test run ended before its server served"
        time.sleep(0.2)
    raise AssertionError("the inner test run's server did not come up")
