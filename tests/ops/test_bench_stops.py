"""A bench stopped with SIGTERM tears down as Ctrl-C does, and its servers end with it.

Stopped with SIGTERM, `scripts/bench` used to leave its `serve` (a session of its own) answering
and its embedded PostgreSQL running: Python's default SIGTERM skips every `finally`."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.servers import REPOSITORY

CHILD = """
import os, signal, sys
sys.path.insert(0, "scripts")
from benchmark.__main__ import end_servers_with_this_run
from app.ops.lifeline import PARENT_ENV
end_servers_with_this_run()
assert os.environ[PARENT_ENV] == str(os.getpid())
try:
    os.kill(os.getpid(), signal.SIGTERM)
    print("not interrupted")
except KeyboardInterrupt:
    print("cleaned up like Ctrl-C")
"""


def test_sigterm_tears_the_bench_down_like_ctrl_c_and_names_it_as_its_servers_parent():
    ran = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPOSITORY, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "LEDGER_SERVE_PID"}, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "cleaned up like Ctrl-C"
