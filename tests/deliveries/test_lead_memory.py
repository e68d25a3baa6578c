"""The notifier's memory of leads gives the states the store's histories give, page by page,
also when a page is processed again or a lead was forgotten, and spares the store the reads."""

from __future__ import annotations

import pytest

from app.deliveries import lead_memory
from app.deliveries.lead_memory import LeadMemory
from domain.lead_state import LEAD_EVENTS, fold
from projections.eventlog.events import events_of, to_positioned
from tests.controls import new_click
from tests.ledger_controls import changed, created_lead

# A goal with a status makes two events of a lead: a state folded onto the wrong version of the
# lead would then differ from the store's (a status alone overwrites what it changes).
CHANGES = (
    {"status": "hold", "goal": "dep"},
    {"status": "approved"},
    {"status": "hold", "goal": "reg"},
)


@pytest.fixture
def log(demo, services) -> list[tuple[int, object]]:
    """Five leads, their changes interleaved: every event of the log, in order, decoded."""
    clicks = [new_click(demo, sub1=f"s{n}") for n in range(5)]
    for n, click in enumerate(clicks):
        created_lead(demo, exto=f"mem-{n}", click=click)
    for change in CHANGES:
        for n in range(0, 5, 2):
            changed(demo, exto=f"mem-{n}", click=clicks[n], **change)
    app = services.ledger
    with app.recorder.datastore.transaction(commit=False) as cursor:
        rows = cursor.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM ledger_events ORDER BY notification_id"
        ).fetchall()
    return [(row["notification_id"], to_positioned(app, row).event) for row in rows]


def from_the_store(app, cursor, page) -> dict:
    leads = {e.originator_id for _, e in page if type(e) in LEAD_EVENTS}
    states = {}
    for lead, history in events_of(app, cursor, leads).items():
        state = None
        for positioned in history:
            state = fold(state, positioned.event)
            states[(lead, state.version)] = state
    return states


def pages_checked(app, memory: LeadMemory, log, size: int) -> None:
    with app.recorder.datastore.transaction(commit=False) as cursor:
        for start in range(0, len(log), size):
            page = log[start : start + size]
            expected = from_the_store(app, cursor, page)
            for _ in range(2):  # the same page again, as after a rollback: the same states
                got = memory.states(cursor, page)
                for _, event in page:
                    if type(event) in LEAD_EVENTS:
                        key = (event.originator_id, event.originator_version)
                        assert got[key] == expected[key]


def test_states_from_memory_equal_the_stores_and_spare_its_reads(services, log, monkeypatch):
    reads: list = []

    def counted(app, cursor, ids):
        reads.append(list(ids))
        return events_of(app, cursor, ids)

    monkeypatch.setattr(lead_memory, "events_of", counted)
    memory = LeadMemory(services.ledger)
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        for start in range(0, len(log), 3):
            memory.states(cursor, log[start : start + 3])
    assert reads == []  # every lead was met from its first event on: nothing read
    pages_checked(services.ledger, LeadMemory(services.ledger), log, 3)


def test_a_lead_met_mid_history_or_forgotten_is_read_from_the_store(services, log, monkeypatch):
    first_change = next(i for i, (_, e) in enumerate(log) if type(e).__name__ == "GoalChanged")
    pages_checked(services.ledger, LeadMemory(services.ledger), log[first_change:], 4)
    reads: list = []
    monkeypatch.setattr(lead_memory, "events_of", lambda *a: reads.extend(a[2]) or events_of(*a))
    memory = LeadMemory(services.ledger)
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        for start in range(first_change, len(log), 4):
            memory.states(cursor, log[start : start + 4])
    assert len(reads) == len(set(reads)) == 3  # once each, then remembered
    monkeypatch.setattr(lead_memory, "REMEMBERED", 1)
    pages_checked(services.ledger, LeadMemory(services.ledger), log, 2)


def test_a_clicks_subs_are_read_once(services, log, monkeypatch):
    memory = LeadMemory(services.ledger)
    reads: list = []
    monkeypatch.setattr(lead_memory, "events_of", lambda *a: reads.append(a[2]) or events_of(*a))
    with services.ledger.recorder.datastore.transaction(commit=False) as cursor:
        states = memory.states(cursor, log)
        clicks = {state.click for state in states.values() if state.click}
        first = memory.subs(cursor, clicks)
        again = memory.subs(cursor, clicks)
    assert first == again and len(first) == 5
    assert sorted(subs.get("sub1") for subs in first.values()) == [f"s{n}" for n in range(5)]
    assert len(reads) == 1
