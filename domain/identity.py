"""Deterministic aggregate ids for natural keys.

A lead is named by (click, exto) or (flow, exto). Deriving its aggregate id from that pair means
two identical creations racing each other collide on the event store's primary key instead of
making two leads: the loser retries, finds the lead and answers with it.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

_NAMESPACE = uuid5(NAMESPACE_URL, "postback-ledger")
# A separator no sender can put inside a parameter value without us seeing it as two fields.
_SEPARATOR = "\x1f"


# Cached: a batch asks for the same click's ids several times (prefetch, rules, attach).
@lru_cache(maxsize=16384)
def lead_id_for_click(click: str, exto: str | None) -> UUID:
    return uuid5(_NAMESPACE, _SEPARATOR.join(("lead-by-click", click, exto or "")))


def lead_id_for_flow(flow_id: int, exto: str) -> UUID:
    return uuid5(_NAMESPACE, _SEPARATOR.join(("lead-by-flow", str(flow_id), exto)))


@lru_cache(maxsize=16384)
def click_aggregate_id(click: str) -> UUID:
    return uuid5(_NAMESPACE, _SEPARATOR.join(("click", click)))
