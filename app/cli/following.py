"""What `projections run` and `notifier run` share: they follow the event log until stopped.

Each stops on SIGTERM or Ctrl-C, and with `--exit-with-parent` (how `serve` starts them) also
when the process that started it ends, even by kill -9 (`app.ops.lifeline`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable

log = logging.getLogger("postback_ledger")


def add_exit_with_parent(parser) -> None:
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started this one ends (used by `serve`)",
    )


def stop_requested(args) -> threading.Event:
    """The event SIGTERM sets; call it first, before anything is opened or started."""
    from app.ops.lifeline import PARENT_ENV, end_with_parent

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if args.exit_with_parent:
        os.environ.setdefault(PARENT_ENV, str(os.getppid()))
        end_with_parent()
    return stop


def wait_for(stop: threading.Event, what: str, failed: Callable[[], object] = lambda: None) -> int:
    """Until `stop` is set, Ctrl-C, or `failed()` names an error its follower cannot retry;
    the exit code: 1 after such an error (`serve` then starts the process again and, when it
    keeps failing, readiness names it), 0 otherwise."""
    log.info("%s running; Ctrl-C to stop", what)
    with contextlib.suppress(KeyboardInterrupt):
        while not stop.wait(1.0):
            if failed() is not None:
                log.error("%s stopped: %s", what, failed())
                return 1
    return 0
