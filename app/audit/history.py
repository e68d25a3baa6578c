"""A lead's history: every postback for it, what each did to the lead and to the money.

Built from the event store (the lead's events, folded step by step), the postback log and the
ledger's entries and recalculations, so support staff can answer a dispute line by line: what
was received, what it changed, the money before and after, and what later rebuilds changed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from uuid import UUID

import msgspec
import psycopg

from app.audit.as_of import LedgerClock, state_of
from app.audit.history_sources import entries_for_lead, recalculation_rows
from app.audit.postback_log_routes import postback_out
from app.audit.snapshots import event_data, snapshot
from app.audit.wire import (
    EntryOut,
    EventOut,
    HistoryStep,
    LeadHistoryOut,
    RecalculationOut,
    StatementLineOut,
)
from app.deliveries.timeline import attach as attach_deliveries
from app.eventstore.application import LedgerApplication
from domain.catalog_view import CatalogView
from domain.hold_release import hold_words
from domain.lead import Lead
from domain.lead_state import amounts_of
from projections.eventlog.events import PositionedEvent, events_of
from projections.postback_log.search import postbacks_for

_JUST_BEFORE = timedelta(microseconds=1)


def lead_history(
    app: LedgerApplication,
    cursor: psycopg.Cursor,
    lead_id: UUID,
    catalog: CatalogView,
    clock: LedgerClock | None = None,
) -> LeadHistoryOut | None:
    """None when no such lead was ever created. Pass `clock` to share it between leads."""
    stored = events_of(app, cursor, [lead_id])[lead_id]
    events = [item for item in stored if isinstance(item.event, Lead.Event)]
    final = state_of(events)
    if final is None:
        return None
    clock = clock or LedgerClock.load(app, cursor)
    flow = catalog.flow_by_id(final.flow)
    postbacks = postbacks_for(cursor, lead_id, final, flow.code if flow else None)
    entries = entries_for_lead(cursor, lead_id)
    by_position: dict[int, list[EntryOut]] = defaultdict(list)
    for entry in entries:
        by_position[entry.position].append(entry)
    steps = _postback_steps(events, postbacks, clock, by_position)
    steps += _recalculation_steps(events, clock, recalculation_rows(cursor))
    steps.sort(key=lambda step: (step.at, step.position or 0))
    attach_deliveries(cursor, lead_id, steps)
    return LeadHistoryOut(
        id=str(final.id),
        click=final.click,
        exto=final.exto,
        flow=final.flow,
        offer=final.offer,
        advertiser=final.advertiser,
        webmaster=final.webmaster,
        steps=steps,
    )


def _postback_steps(
    events: list[PositionedEvent],
    postbacks: list[dict],
    clock: LedgerClock,
    entries: dict[int, list[EntryOut]],
) -> list[HistoryStep]:
    caused: dict[UUID, list[PositionedEvent]] = defaultdict(list)
    for item in events:
        caused[item.event.postback_id].append(item)
    steps = []
    for row in postbacks:
        own = caused.pop(row["id"], [])
        steps.append(_step(events, own, clock, entries, row["received_at"], row))
    for own in caused.values():  # statement lines, hold releases, postbacks not logged yet
        steps.append(_step(events, own, clock, entries, own[0].timestamp, None))
    return steps


def _step(
    events: list[PositionedEvent],
    own: list[PositionedEvent],
    clock: LedgerClock,
    entries: dict[int, list[EntryOut]],
    at: datetime,
    row: dict | None,
) -> HistoryStep:
    first = own[0].position if own else (row["position"] if row else 0)
    last = own[-1].position if own else first
    before = state_of([e for e in events if e.position < first])
    after = state_of([e for e in events if e.position <= last]) if own else before
    origin = getattr(own[0].event, "statement_line", None) if own and row is None else None
    held = [words for item in own if (words := hold_words(vars(item.event)))]
    released = any(getattr(item.event, "cause", None) for item in own) and row is None
    return HistoryStep(
        kind="reconciliation" if origin else ("hold_release" if released else "postback"),
        at=at,
        position=row["position"] if row else first,
        before=snapshot(before, clock.amounts(before, at)) if before else None,
        after=snapshot(after, clock.amounts(after, after.updated_at)) if after else None,
        postback=postback_out(row) if row else None,
        events=[_event_out(item, entries.get(item.position, [])) for item in own],
        statement_line=msgspec.convert(origin, StatementLineOut) if origin else None,
        hold="; ".join(held) or None,
    )


def _event_out(item: PositionedEvent, entries: list[EntryOut]) -> EventOut:
    event = item.event
    return EventOut(
        position=item.position,
        type=type(event).__qualname__,
        version=event.originator_version,
        timestamp=event.timestamp,
        data=event_data(event),
        entries=entries,
    )


def _recalculation_steps(
    events: list[PositionedEvent], clock: LedgerClock, rows: dict[UUID, dict]
) -> list[HistoryStep]:
    """Rebuilds that repriced this lead (a rebuild restates the ledger's entries, so they are
    shown under the events that caused them; here are the money before and after)."""
    steps = []
    for rebuild in clock.rebuilds:
        state = state_of([e for e in events if e.timestamp <= rebuild.finished_at])
        if state is None:
            continue
        old = amounts_of(state, clock.catalog_for(state, rebuild.finished_at - _JUST_BEFORE))
        new = clock.amounts(state, rebuild.finished_at)
        row = rows.get(rebuild.id, {})
        if old == new and not _names_lead(row, state.id):
            continue
        steps.append(
            HistoryStep(
                kind="recalculation",
                at=rebuild.finished_at,
                position=None,
                before=snapshot(state, old),
                after=snapshot(state, new),
                recalculation=RecalculationOut(
                    id=str(rebuild.id),
                    started_at=rebuild.started_at,
                    finished_at=rebuild.finished_at,
                    actor=row.get("actor"),
                    rule_versions=row.get("rule_versions"),
                ),
            )
        )
    return steps


def _names_lead(row: dict, lead_id: UUID) -> bool:
    differences = row.get("differences") or {}
    lines = [*differences.get("leads", ()), *differences.get("lead_view", ())]
    return any(line.get("lead") == str(lead_id) for line in lines)
