"""Stored event rows to the domain events eventsourcing's mapper makes, at a fraction of its cost.

Used wherever many stored events are decoded at once: the projections' log reader and rebuild
(`projections.eventlog.reading`) and the postback writer's batch loader
(`app.postbacks.aggregate_loading`). `StateDecoder` (projections.eventlog.state_decoding) turns
the state into the dict the transcoder would, and the event is built exactly as
`Mapper.to_domain_event` builds it. The library stays the authority: with a cipher, a
compressor, another transcoder or mapper everything goes through the library mapper; a row the
fast path cannot decode goes through it alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, Notification, find_id_convertor
from eventsourcing.utils import resolve_topic

from projections.eventlog.state_decoding import StateDecoder

Row = tuple[int, UUID, int, str, bytes]
"""notification_id, originator_id, originator_version, topic, state."""

_PROBE = UUID(int=0)


class EventDecoder:
    """Stored rows to the same domain event objects `app.mapper.to_domain_event` makes."""

    def __init__(self, mapper: Mapper) -> None:
        self._mapper = mapper
        transcoder = mapper.transcoder
        self.is_fast = (
            type(mapper) is Mapper
            and type(transcoder) is JSONTranscoder
            and not mapper.cipher
            and not mapper.compressor
        )
        self._states = StateDecoder(transcoder) if self.is_fast else None
        self._classes: dict[str, tuple[type, int]] = {}

    def decode(self, rows: Sequence[Row]) -> list[tuple[int, Any]]:
        if not self.is_fast:
            return [(row[0], self._slow(row)) for row in rows]
        return [(row[0], self._decode_row(row)) for row in rows]

    def _decode_row(self, row: Row) -> Any:
        try:
            return self._fast(row)
        except Exception:
            return self._slow(row)  # the library decides: same event, or the library's error

    def _fast(self, row: Row) -> Any:
        _, originator_id, version, topic, state = row
        cls, class_version = self._class_of(topic)
        event_state = self._states.decode(topic, state)
        if type(originator_id) is not UUID:
            originator_id = find_id_convertor(cls, type(originator_id))(originator_id)
        event_state["originator_id"] = originator_id
        event_state["originator_version"] = version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", event_state)
        return domain_event

    def _class_of(self, topic: str) -> tuple[type, int]:
        found = self._classes.get(topic)
        if found is None:
            cls = resolve_topic(topic)
            # Rows come with UUID ids; the fast path trusts the library to pass them through.
            if find_id_convertor(cls, UUID)(_PROBE) is not _PROBE:
                raise TypeError(f"{topic} converts UUID originator ids")
            found = self._classes[topic] = (cls, getattr(cls, "class_version", 1))
        return found

    def _slow(self, row: Row) -> Any:
        notification_id, originator_id, version, topic, state = row
        notification = Notification(
            id=notification_id,
            originator_id=originator_id,
            originator_version=version,
            topic=topic,
            state=bytes(state),
        )
        return self._mapper.to_domain_event(notification)
