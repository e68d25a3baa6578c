"""Loading every aggregate a batch of postbacks needs in one query, kept warm between batches.

eventsourcing's repository reads one aggregate per query; a batch of 200 postbacks, each naming
a click and a lead, then costs 400 round trips in the single writer thread. Here the ids are
worked out first (`aggregate_ids_for`) and read together: one query for the clicks and the leads
named directly, a second for leads found through their click. Aggregates stay in an LRU cache
after their batch committed, and each load reads only the events newer than the cached version,
so a warm cache costs one small query per batch and decodes nothing twice.

The cache never decides anything stale into the store: an event appended from a stale aggregate
collides with the stored one on (originator_id, originator_version) and fails the batch, which
evicts what it touched and decides again from fresh reads. A postback's outcome is checked
against the newest events at the start of each batch, as a per-aggregate read would be.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from psycopg import sql

from domain.catalog_view import CatalogView
from domain.click import Click
from domain.identity import click_aggregate_id, lead_id_for_click, lead_id_for_flow
from projections.eventlog.decoding import EventDecoder

# One index probe per id (LATERAL, kept apart by OFFSET 0): as a join the planner chose a full
# scan of the event table whenever its statistics were stale: 20+ ms instead of well under one.
_SELECT_NEWER = """
SELECT e.originator_id, e.originator_version, e.topic, e.state
FROM unnest(%b::uuid[], %b::bigint[]) WITH ORDINALITY AS known(id, version, n)
CROSS JOIN LATERAL (
  SELECT originator_id, originator_version, topic, state FROM {table}
  WHERE originator_id = known.id AND originator_version > known.version
  OFFSET 0
) AS e
ORDER BY known.n, e.originator_version
"""


def aggregate_ids_for(params: Mapping[str, str], catalog: CatalogView) -> list[UUID]:
    """The click and lead a postback names directly (a click's own leads come in a 2nd step)."""
    click = params.get("click", "").strip()
    exto = params.get("exto", "").strip() or None
    if click:
        return [click_aggregate_id(click), lead_id_for_click(click, exto)]
    flow = catalog.flow((params.get("flow", "") or params.get("code", "")).strip())
    return [lead_id_for_flow(flow.id, exto)] if flow is not None and exto else []


def leads_of_clicks(aggregates: Iterable[Aggregate | None]) -> list[UUID]:
    return [lead for a in aggregates if isinstance(a, Click) for lead in a.leads.values()]


class AggregateLoader:
    """Reads many aggregates per query for one writer thread; `remember` after a commit."""

    def __init__(self, app: Any, max_cached: int = 20_000) -> None:
        self._app = app
        self._max_cached = max_cached
        self._cache: OrderedDict[UUID, Aggregate] = OrderedDict()
        # Rendered once, not at every execute (see app.eventstore.recorder).
        self._statement = (
            sql.SQL(_SELECT_NEWER).format(table=sql.Identifier(app.events_table)).as_bytes(None)
        )
        self._decoder = EventDecoder(app.mapper)  # the library's events, decoded faster
        self.hits = 0
        self.misses = 0

    def load(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate | None]:
        """The current state of each aggregate (None: no such aggregate yet)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        cached = {i: self._cache.pop(i, None) for i in wanted}
        self.hits += sum(1 for a in cached.values() if a is not None)
        self.misses += sum(1 for a in cached.values() if a is None)
        versions = [a.version if a is not None else 0 for a in cached.values()]
        with self._app.recorder.datastore.get_connection() as connection:
            rows = connection.execute(self._statement, (wanted, versions), prepare=True).fetchall()
        loaded: dict[UUID, Aggregate | None] = cached
        events = self._decoder.decode(
            [(0, r["originator_id"], r["originator_version"], r["topic"], r["state"]) for r in rows]
        )
        for _, event in events:
            loaded[event.originator_id] = event.mutate(loaded[event.originator_id])
        return loaded

    def remember(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep committed aggregates (no pending events) for the next batches."""
        for aggregate in aggregates:
            self._cache[aggregate.id] = aggregate
            self._cache.move_to_end(aggregate.id)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    def forget(self, ids: Iterable[UUID]) -> None:
        for aggregate_id in ids:
            self._cache.pop(aggregate_id, None)
