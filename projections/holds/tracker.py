"""Keeping `holds` from the event log: which leads are on hold under a rule, and until when.

A lead enters the table with the event that put it on hold with terms (`Lead.Created` or
`Lead.StatusChanged` carrying `hold`), is updated by its later events while the hold runs (a goal
or payout change moves what the hold is worth), and leaves it with the next status change: a
postback's or the release's own. Only the leads a page names that enter or are already held are
folded (from their events up to the page), so a page of other traffic costs one index probe.
It never rebuilds from the catalog: the terms are the ones stored on the event.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from domain.catalog import CATALOG_ID
from domain.catalog_view import CatalogView
from domain.hold_release import HOLD_EXPIRED
from domain.hold_rules import HoldTerms
from domain.lead import Lead
from domain.lead_state import LeadState, Pricing, fold
from domain.statuses import Status
from projections.eventlog.store import EventStore
from projections.holds import schema
from projections.holds.histories import Histories

NAME = "holds"
_LEAD_EVENTS = (Lead.Created, Lead.StatusChanged, Lead.GoalChanged, Lead.PayoutSet)
_UPSERT = """
INSERT INTO holds (lead_id, due_at, after_hold, rule, hold_for, catalog_version, started_at,
  terms, lead_version, webmaster, advertiser, offer, goal, commission, currency)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (lead_id) DO UPDATE SET due_at = EXCLUDED.due_at, after_hold = EXCLUDED.after_hold,
  rule = EXCLUDED.rule, hold_for = EXCLUDED.hold_for, catalog_version = EXCLUDED.catalog_version,
  started_at = EXCLUDED.started_at, terms = EXCLUDED.terms, lead_version = EXCLUDED.lead_version,
  webmaster = EXCLUDED.webmaster, advertiser = EXCLUDED.advertiser, offer = EXCLUDED.offer,
  goal = EXCLUDED.goal, commission = EXCLUDED.commission, currency = EXCLUDED.currency
"""
_COUNT = """
INSERT INTO hold_releases (outcome, released) VALUES (%s, %s)
ON CONFLICT (outcome) DO UPDATE SET released = hold_releases.released + EXCLUDED.released
"""


def is_release(event: object) -> bool:
    cause = getattr(event, "cause", None)
    return isinstance(event, Lead.StatusChanged) and bool(cause) and cause["kind"] == HOLD_EXPIRED


class HoldTracker:
    """The `holds` read model, fed by the hold-release follower's runner."""

    name = NAME

    def __init__(self, store: EventStore, catalog_of: Callable[[], CatalogView]) -> None:
        self._histories = Histories(store)
        self._catalog_of = catalog_of
        self._pricing: Pricing | None = None

    def create_tables(self, cursor: psycopg.Cursor) -> None:
        schema.create_tables(cursor)

    def process(self, cursor: psycopg.Cursor, events: Sequence[tuple[int, Any]]) -> None:
        if self._pricing is None or any(e.originator_id == CATALOG_ID for _, e in events):
            self._pricing = Pricing(self._catalog_of())
        lead_events = [e for _, e in events if isinstance(e, _LEAD_EVENTS)]
        if not lead_events:
            return
        upto: dict[UUID, int] = {}
        last_status: dict[UUID, object] = {}
        for event in lead_events:
            upto[event.originator_id] = event.originator_version
            if isinstance(event, (Lead.Created, Lead.StatusChanged)):
                last_status[event.originator_id] = event
        # A lead whose last status event here starts no hold is off any hold: no fold needed.
        ended = [lead for lead, e in last_status.items() if not getattr(e, "hold", None)]
        if ended:
            cursor.execute("DELETE FROM holds WHERE lead_id = ANY(%s)", (ended,))
        entering = {lead for lead, e in last_status.items() if getattr(e, "hold", None)}
        touched = [lead for lead in upto if lead not in last_status]
        relevant = entering | _held_among(cursor, touched)
        if relevant:
            self._follow(cursor, {lead: upto[lead] for lead in relevant})
        released = Counter(e.status for e in lead_events if is_release(e))
        if released:
            cursor.executemany(_COUNT, list(released.items()))

    def _follow(self, cursor: psycopg.Cursor, upto: dict[UUID, int]) -> None:
        rows, gone = [], []
        for lead, history in self._histories.read(cursor, upto).items():
            state, hold = _state_upto(history, upto[lead])
            if state is not None and state.status is Status.HOLD and hold:
                rows.append(self._row(state, hold))
            else:
                gone.append(lead)
        if gone:
            cursor.execute("DELETE FROM holds WHERE lead_id = ANY(%s)", (gone,))
        if rows:
            cursor.executemany(_UPSERT, rows)

    def _row(self, state: LeadState, hold: dict) -> tuple:
        terms = HoldTerms.from_event(hold)
        assert self._pricing is not None
        commission = self._pricing.amounts_of(state).webmaster_commission
        return (
            state.id, terms.until, terms.after_hold, terms.rule, terms.hold_for,
            terms.catalog_version, terms.started_at, Jsonb(hold),
            state.version, state.webmaster, state.advertiser, state.offer, state.goal,
            None if commission is None else commission.amount,
            None if commission is None else commission.currency,
        )  # fmt: skip


def _held_among(cursor: psycopg.Cursor, leads: list[UUID]) -> set[UUID]:
    if not leads:
        return set()
    rows = cursor.execute("SELECT lead_id FROM holds WHERE lead_id = ANY(%s)", (leads,))
    return {row["lead_id"] for row in rows.fetchall()}


def _state_upto(history, version: int) -> tuple[LeadState | None, dict | None]:
    """The lead's state after its event `version`, and the hold its last status event set."""
    state, hold = None, None
    for event in history:
        if event.originator_version > version:
            break
        state = fold(state, event)
        if isinstance(event, (Lead.Created, Lead.StatusChanged)):
            hold = getattr(event, "hold", None)
    return state, hold
