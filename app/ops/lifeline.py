"""Children of `serve` end when `serve` ends, however it ends: even by SIGKILL.

A `kill -9` of the server's main process used to leave its granian worker answering on the port
and its read-model process holding the leader lock; a second `serve` then started beside them.
Every child calls `end_with_parent()` as its first act: `serve` names itself in
`LEDGER_SERVE_PID`, and a watchdog thread in the child notices within half a second that its
parent is gone. It first arms a timer that needs no GIL (`faulthandler`), then asks the process
to stop with SIGTERM, which granian workers and `projections run` answer by shutting down
cleanly. If that shutdown hangs, the timer writes every thread's stack to stderr and ends the
process `GRACE_SECONDS` later.

Why not the kernel's `prctl(PR_SET_PDEATHSIG)`: its SIGTERM arrives at once, and a granian
worker told to stop while it is still starting can hang inside its native code holding the GIL.
A watchdog thread that only then woke up could never run again, and the worker stayed forever
(seen once in ten runs on a loaded machine). Arming the GIL-free timer before the SIGTERM closes
that window.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import threading
import time

log = logging.getLogger(__name__)

PARENT_ENV = "LEDGER_SERVE_PID"
GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.5


def end_with_parent(grace: float = GRACE_SECONDS) -> bool:
    """Tie this process to the `serve` named in the environment; False when there is none."""
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit():
        return False
    watchdog = threading.Thread(
        target=_watch, args=(int(parent), grace), name="lifeline", daemon=True
    )
    watchdog.start()
    return True


def serve_names_itself() -> None:
    """Called by `serve` before it starts any child."""
    os.environ[PARENT_ENV] = str(os.getpid())


def _watch(parent: int, grace: float) -> None:
    while os.getppid() == parent:
        time.sleep(_POLL_SECONDS)
    log.warning(
        "the server that started this process (pid %d) is gone; stopping (killed in %.0f s "
        "if the shutdown hangs)",
        parent,
        grace,
    )
    faulthandler.dump_traceback_later(grace, exit=True)
    os.kill(os.getpid(), signal.SIGTERM)
