"""Deterministic aggregate ids for natural keys.

A lead is named by (click, exto) or (flow, exto). Deriving its aggregate id from that pair means
two identical creations racing each other collide on the event store's primary key instead of
making two leads: the loser retries, finds the lead and answers with it.
"""

from __future__ import annotations

import random
import time
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger")
# Joins the fields of a key, so that flow 10 + exto "1x" and flow 101 + exto "x" stay two keys.
# A postback parameter holding it is refused before any rule runs (app.postbacks.parsing): inside
# a value it could make one key read as another. Never change it, nor the namespace or the field
# order below: every stored lead is found again only by deriving its id the same way.
SEPARATOR = "\x1f"


# Cached: a batch asks for the same click's ids several times (prefetch, rules, attach).
@lru_cache(maxsize=16384)
def lead_id_for_click(click: str, exto: str | None) -> UUID:
    return uuid5(_NAMESPACE, SEPARATOR.join(("lead-by-click", click, exto or "")))


def lead_id_for_flow(flow_id: int, exto: str) -> UUID:
    return uuid5(_NAMESPACE, SEPARATOR.join(("lead-by-flow", str(flow_id), exto)))


def statement_line_id(reconciliation_id: UUID, line: int) -> UUID:
    """The cause id of changes settled from one statement line (in place of a postback's id).

    Derived, so settling the same line twice names the same cause and can be recognised."""
    return uuid5(_NAMESPACE, SEPARATOR.join(("statement-line", str(reconciliation_id), str(line))))


@lru_cache(maxsize=16384)
def click_aggregate_id(click: str) -> UUID:
    return uuid5(_NAMESPACE, SEPARATOR.join(("click", click)))


def time_ordered_id() -> UUID:
    """A fresh UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.

    For ids that name nothing natural (a postback, a lead created without exto). Ids made one
    after another sort together, so they land on the same index pages instead of all over the
    b-tree, and `random` is much cheaper than `os.urandom` per call; the ids need to be unique,
    not unguessable (nothing is authorised by knowing one). `random` reseeds itself in a forked
    child, so workers never share a sequence.
    """
    milliseconds = time.time_ns() // 1_000_000
    bits = (milliseconds & _MASK_48) << 80 | random.getrandbits(80)
    return UUID(int=bits & _CLEAR_VERSION_AND_VARIANT | _VERSION_7_AND_VARIANT)


_MASK_48 = (1 << 48) - 1
_CLEAR_VERSION_AND_VARIANT = ~(0xF << 76 | 0x3 << 62) & ((1 << 128) - 1)
_VERSION_7_AND_VARIANT = 0x7 << 76 | 0x2 << 62
