"""What the library's aggregate and event objects cost the write path, per lead event.

    PYTHONPATH=scripts:. .venv/bin/python -m benchmark.event_objects [--events 20000] [--rounds 3]

Issue 27 asks whether deciding on plain structs, without eventsourcing's `Aggregate` and
`DomainEvent` objects, would pay. This measures the part such a change could remove, in the
calling thread's CPU time, with no database:
- `library`: what the writer does per event today: the command method (`Lead(...)` or
  `lead.change_status(...)`, the library's trigger, the event object, its `apply`), then
  `collect_events` and our encoder's `to_stored_event`;
- `plain`: the least a plain-struct path must still do: the event's fields as a dict, encoded by
  the same encoder into the same bytes (checked here: a bench that compared different bytes
  would compare nothing).

The difference is the most that plain structs could save per lead event; the bench's mix writes
about 1.4 aggregate events per postback (a creation writes the lead's and its click's).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

from app.eventstore.encoding import EventEncoder
from domain.lead import Lead
from domain.statuses import Status

_LEAD, _CREATED, _CHANGED = map(get_topic, (Lead, Lead.Created, Lead.StatusChanged))
_FIELDS = dict(click="c-1", exto=None, flow=101, offer="offer-1", advertiser="adv-1",
               webmaster="wm-1", goal="lead", status="new")  # fmt: skip


def ledger_mapper() -> Mapper:
    """The mapper `LedgerApplication` builds (tests/eventstore/test_encoding.py builds it too)."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def _created_state(lead_id: uuid.UUID, postback_id: uuid.UUID, timestamp) -> dict:
    return {"timestamp": timestamp, "originator_topic": _LEAD, "postback_id": postback_id,
            **_FIELDS, "statement_line": None, "hold": None, "occurred_at": None}  # fmt: skip


def _changed_state(postback_id: uuid.UUID, timestamp) -> dict:
    return {"timestamp": timestamp, "postback_id": postback_id, "status": "hold",
            "previous_status": "new", "status_word": "hold", "statement_line": None,
            "hold": None, "cause": None}  # fmt: skip


def measure(events: int) -> dict[str, float]:
    """µs of thread CPU per event, each path, for a creation and a status change."""
    encoder = EventEncoder(ledger_mapper())
    ids = [(uuid.uuid4(), uuid.uuid4()) for _ in range(events)]
    timestamp = Lead.Created.create_timestamp()

    def library_creating() -> list[StoredEvent]:
        made = []
        for lead_id, postback_id in ids:
            lead = Lead(id=lead_id, postback_id=postback_id, **_FIELDS)
            made += [encoder.to_stored_event(e) for e in lead.collect_events()]
        return made

    def plain_creating() -> list[StoredEvent]:
        return [
            StoredEvent(lead_id, 1, _CREATED,
                        encoder.encode_state(_created_state(lead_id, postback_id, timestamp)))
            for lead_id, postback_id in ids
        ]  # fmt: skip

    leads = [Lead(id=lead_id, postback_id=postback_id, **_FIELDS) for lead_id, postback_id in ids]
    for lead in leads:
        lead.collect_events()

    def library_changing() -> list[StoredEvent]:
        made = []
        for lead, (_, postback_id) in zip(leads, ids, strict=True):
            lead.change_status(postback_id, Status.HOLD, "hold")
            made += [encoder.to_stored_event(e) for e in lead.collect_events()]
        return made

    def plain_changing() -> list[StoredEvent]:
        return [
            StoredEvent(lead_id, 2, _CHANGED,
                        encoder.encode_state(_changed_state(postback_id, timestamp)))
            for lead_id, postback_id in ids
        ]  # fmt: skip

    figures = {}
    for name, library, plain in (
        ("created", library_creating, plain_creating),
        ("status_changed", library_changing, plain_changing),
    ):
        library_us, library_made = _timed(library, events)
        plain_us, plain_made = _timed(plain, events)
        _check_same_bytes(library_made, plain_made, timestamp)
        figures[f"{name}_library_us"] = library_us
        figures[f"{name}_plain_us"] = plain_us
    return figures


def _timed(work: Callable[[], list[StoredEvent]], events: int) -> tuple[float, list]:
    started = time.thread_time()
    made = work()
    return round((time.thread_time() - started) / events * 1e6, 2), made


def _check_same_bytes(library: list[StoredEvent], plain: list[StoredEvent], timestamp) -> None:
    """The plain path wrote byte for byte what the library path wrote, but for the time (the
    library's events carry their own creation time; the plain ones one fixed time)."""
    fixed = timestamp.isoformat().encode()
    for mine, theirs in zip(plain, library, strict=True):
        own_time = json.loads(theirs.state)["timestamp"]["_data_"].encode()
        expected = theirs.state.replace(own_time, fixed, 1)
        if (mine.originator_id, mine.originator_version, mine.topic, mine.state) != (
            theirs.originator_id, theirs.originator_version, theirs.topic, expected,
        ):  # fmt: skip
            raise AssertionError(f"the plain path wrote other bytes: {mine} against {theirs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per path and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each is reported")
    args = parser.parse_args()
    for _ in range(args.rounds):
        print(json.dumps(measure(args.events)), flush=True)


if __name__ == "__main__":
    main()
