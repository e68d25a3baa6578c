"""Keeping Python's cyclic garbage collector out of the postback path of a server process.

A worker keeps tens of thousands of aggregates warm (app.postbacks.aggregate_loading) and makes
several short-lived objects per postback. With the default thresholds (700, 10, 10) the collector
ran hundreds of young collections a second and, as cached aggregates were replaced, full ones that
walk every live object: about 40 ms for 40,000 cached aggregates measured here, a pause for the
writer and the event loop alike. So, once the process has started:
- `gc.freeze()` moves everything alive at start-up (modules, classes, the catalog) out of the
  collector's sight for good;
- a young generation of 50,000 objects makes young collections rare; most postback objects die
  by reference counting long before one runs.
Reference counting still frees almost everything at once; only reference cycles wait longer.
`LEDGER_GC_TUNING=0` keeps Python's defaults (for comparing them, see README "Server setup").
"""

from __future__ import annotations

import gc
import logging
import os

log = logging.getLogger(__name__)

YOUNG_GENERATION_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    if os.environ.get("LEDGER_GC_TUNING", "1") in ("0", "false", "no"):
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
    log.debug(
        "garbage collector tuned: %s, %d objects frozen", gc.get_threshold(), gc.get_freeze_count()
    )
