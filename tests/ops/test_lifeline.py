"""A child of `serve` ends after `serve` is killed, even when its own shutdown hangs while
holding the GIL (what a granian worker told to stop during its start once did)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from app.ops.lifeline import PARENT_ENV
from tests.fault_controls import wait_until
from tests.ops.test_process_lifetime import all_gone, described

# The child: tied to its parent, and its SIGTERM handler never returns nor lets the GIL go
# (a libc sleep called through PyDLL keeps the GIL), so only a GIL-free timer can end it.
CHILD = textwrap.dedent(
    """
    import ctypes, signal, sys, time
    from app.ops.lifeline import end_with_parent

    def hang(signum, frame):
        ctypes.PyDLL(None).sleep(600)

    signal.signal(signal.SIGTERM, hang)
    assert end_with_parent(grace=1.0)
    open(sys.argv[1], "w").close()
    while True:
        time.sleep(0.05)
    """
)
# The parent: names itself as `serve` does, starts the child, then waits to be killed.
PARENT = textwrap.dedent(
    """
    import os, subprocess, sys, time
    os.environ[sys.argv[1]] = str(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", sys.argv[2], sys.argv[3]])
    print(child.pid, flush=True)
    time.sleep(600)
    """
)


def test_a_child_whose_shutdown_hangs_holding_the_gil_still_ends_when_its_parent_is_killed(
    tmp_path,
):
    ready = tmp_path / "ready"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, PARENT_ENV, CHILD, str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    child = 0
    try:
        child = int(parent.stdout.readline())
        assert wait_until(ready.exists, 60), "the child did not start"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)

        left = all_gone([child])
        assert left == [], f"the child outlived its killed parent: {described(left)}"
        stderr = parent.stderr.read()
        assert "the server that started this process" in stderr
        assert "Timeout" in stderr, stderr  # faulthandler's stack dump of the hung child
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if child and all_gone([child], timeout=0):
            os.kill(child, signal.SIGKILL)
