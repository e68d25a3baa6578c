"""Which of `serve`'s processes gets the CPU first when the cores are busy.

On one machine the HTTP workers, the read models, the notifier and PostgreSQL share the cores.
Under a steady stream of postbacks the workers and the read models took nearly all of them, and
the notifier, which sends webmasters their postbacks, got what was left: 122 deliveries/s while
1,067/s were queued, on a quiet 2-core machine, although it alone sends 670/s
(docs/performance.md, "Fifth push"). A webmaster's tracker waits for a delivery; a read model
only feeds support's pages, and the workers' answers can take a little longer without losing
anything. So `serve` runs the workers and the read models at a lower priority (a higher nice
value) than the notifier, the hold follower and PostgreSQL: when all want the CPU, the
notifier gets its share first, and the postbacks' rate settles where the sending keeps up.
With idle cores the nice values change nothing.

Linux keeps a nice value per thread, and a new thread inherits its creator's: `lower_priority`
renices every thread the process has, so threads started later follow.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

HTTP_WORKERS_NICE = "LEDGER_HTTP_WORKERS_NICE"
READ_MODELS_NICE = "LEDGER_READ_MODELS_NICE"
# The same for both: their shares of the CPU stay as they were to each other (the read models'
# lag is its own target), only the notifier and the hold follower come first.
DEFAULT_NICE = {HTTP_WORKERS_NICE: 5, READ_MODELS_NICE: 5}
HIGHEST_NICE = 19


def nice_setting(name: str, environ=None) -> int:
    """The nice increment a setting asks for: a whole number from 0 to 19 (ValueError else)."""
    env = os.environ if environ is None else environ
    raw = env.get(name, "").strip()
    if not raw:
        return DEFAULT_NICE[name]
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a whole number from 0 to 19") from None
    if not 0 <= value <= HIGHEST_NICE:
        raise ValueError(f"{name}={raw!r} is not a whole number from 0 to 19")
    return value


def lower_priority(setting: str) -> int:
    """Renice this process's threads by the setting's increment; the nice value it now has."""
    by = nice_setting(setting)
    if by == 0:
        return os.getpriority(os.PRIO_PROCESS, 0)
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:  # not Linux: one nice value per process
        return os.nice(by)
    target = min(os.getpriority(os.PRIO_PROCESS, 0) + by, HIGHEST_NICE)
    for thread in threads:
        try:
            if os.getpriority(os.PRIO_PROCESS, thread) < target:
                os.setpriority(os.PRIO_PROCESS, thread, target)
        except ProcessLookupError:  # a thread that ended meanwhile
            pass
    log.debug("%s: %d threads at nice %d", setting, len(threads), target)
    return target
