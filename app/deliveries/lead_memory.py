"""What the notifier remembers between pages: each lead's latest state and each click's subs.

A delivery's macros need the lead's state at its event and the click's subs. Reading every
page's leads' whole histories from the store and folding them again was a third of the
notifier's follower thread (py-spy, `bench --deliveries`): the state after a lead's last event
is kept instead, and the next event of that lead is folded onto it. The memory is only ever a
shortcut: a state is used only when it is exactly one version behind the event (a page that is
processed again after a rollback, or a lead forgotten, is read from the store as before), and a
click's subs never change once recorded. Both are bounded (least recently used go first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import psycopg

from domain.click import Click
from domain.identity import click_aggregate_id
from domain.lead_state import LEAD_EVENTS, LeadState, fold
from projections.eventlog.events import events_of
from projections.eventlog.store import EventStore

REMEMBERED = 50_000  # leads and clicks each: tens of MB at most


class _Bounded(OrderedDict):
    def remember(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > REMEMBERED:
            self.popitem(last=False)


class LeadMemory:
    """`states` and `subs` for a page of the notifier."""

    def __init__(self, app: EventStore) -> None:
        self._app = app
        self._leads: _Bounded = _Bounded()
        self._subs: _Bounded = _Bounded()

    def states(
        self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]
    ) -> dict[tuple[UUID, int], LeadState]:
        """The state of each lead after each of its events in the page."""
        states: dict[tuple[UUID, int], LeadState] = {}
        unknown: set[UUID] = set()
        for _, event in events:
            if type(event) not in LEAD_EVENTS or (lead := event.originator_id) in unknown:
                continue
            before = self._leads.get(lead)
            version = event.originator_version
            if version != (before.version + 1 if before else 1):
                unknown.add(lead)
                continue
            state = states[(lead, version)] = fold(before, event)
            self._leads.remember(lead, state)
        if unknown:
            self._read(cursor, unknown, events, states)
        return states

    def _read(self, cursor, leads: set[UUID], events, states: dict) -> None:
        """Whole histories from the store; the state at the page's last event is remembered."""
        last = {
            e.originator_id: e.originator_version for _, e in events if e.originator_id in leads
        }
        for lead, history in events_of(self._app, cursor, leads).items():
            state = None
            for positioned in history:
                state = fold(state, positioned.event)
                states[(lead, state.version)] = state
                if state.version == last[lead]:
                    self._leads.remember(lead, state)

    def subs(self, cursor: psycopg.Cursor, clicks: Iterable[str]) -> dict[str, dict[str, str]]:
        """Each known click's subs (a click not recorded has none)."""
        wanted = set(clicks)
        missing = [click_aggregate_id(c) for c in wanted if c not in self._subs]
        for history in events_of(self._app, cursor, missing).values() if missing else ():
            if history and isinstance(first := history[0].event, Click.Recorded):
                self._subs.remember(first.click, first.subs)
        return {c: self._subs[c] for c in wanted if c in self._subs}
