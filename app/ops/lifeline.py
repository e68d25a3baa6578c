"""Children of `serve` end when `serve` ends, however it ends: even by SIGKILL.

A `kill -9` of the server's main process used to leave its granian worker answering on the port
and its read-model process holding the leader lock; a second `serve` then started beside them.
Every child calls `end_with_parent()` as its first act: `serve` names itself in
`LEDGER_SERVE_PID`, and the child asks the kernel (prctl PR_SET_PDEATHSIG) for a SIGTERM when
its parent dies, which both granian workers and `projections run` answer by shutting down
cleanly. A watchdog thread covers what the kernel cannot: a parent that died before the request
was made, or a shutdown that hangs (the child then kills itself after `GRACE_SECONDS`).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)

PARENT_ENV = "LEDGER_SERVE_PID"
GRACE_SECONDS = 5.0
_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.5


def end_with_parent(grace: float = GRACE_SECONDS) -> bool:
    """Tie this process to the `serve` named in the environment; False when there is none."""
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit():
        return False
    _ask_kernel_for(signal.SIGTERM)
    watchdog = threading.Thread(
        target=_watch, args=(int(parent), grace), name="lifeline", daemon=True
    )
    watchdog.start()
    return True


def serve_names_itself() -> None:
    """Called by `serve` before it starts any child."""
    os.environ[PARENT_ENV] = str(os.getpid())


def _ask_kernel_for(signum: int) -> None:
    if not sys.platform.startswith("linux"):
        return  # the watchdog alone then ends the child
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())


def _watch(parent: int, grace: float) -> None:
    while os.getppid() == parent:
        time.sleep(_POLL_SECONDS)
    log.warning("the server that started this process (pid %d) is gone; stopping", parent)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace)
    log.warning("still running %.0f s after the server ended; killing this process", grace)
    os.kill(os.getpid(), signal.SIGKILL)
