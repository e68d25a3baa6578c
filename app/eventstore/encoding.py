"""Domain events to stored events, byte for byte as eventsourcing's mapper writes them, in less CPU.

The library's `Mapper.to_stored_event` copies the event's fields and encodes them with stdlib
`json` (`JSONTranscoder`: compact separators, `ensure_ascii=False`), calling a Python hook for
every UUID, datetime and Decimal, which become `{"_type_": name, "_data_": text}`. Here those
values are boxed the same way in one pass and `msgspec` writes the JSON: the same bytes (msgspec
escapes strings exactly as stdlib json does with `ensure_ascii=False`; tests/eventstore/
test_encoding.py compares them over random events and text).

The library stays the authority: with a cipher, a compressor, another transcoder or mapper,
everything goes through the library's mapper, and so does any state holding a value this module
does not box exactly as stdlib json would (floats, tuples, subclasses of str, int or dict,
non-text keys): the stored bytes never depend on which path wrote them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic

_JSON = msgspec.json.Encoder()
# The library's own transcodings, by class: the same text without a method dispatch.
_DIRECT: dict[type, Callable[[Any], str]] = {
    UUIDAsHex: lambda value: value.hex,
    DecimalAsStr: str,
    DatetimeAsISO: datetime.isoformat,
}
_PLAIN = (str, int, bool, type(None))


class _Unusual(Exception):
    """A value the fast path does not box exactly as the library: the library encodes it."""


class EventEncoder:
    """`mapper.to_stored_event` and `mapper.transcoder.encode`, same bytes, less CPU."""

    def __init__(self, mapper: Mapper) -> None:
        self._mapper = mapper
        transcoder = mapper.transcoder
        self.is_fast = (
            type(mapper) is Mapper
            and type(transcoder) is JSONTranscoder
            and not mapper.cipher
            and not mapper.compressor
        )
        self._boxes: dict[type, tuple[str, Callable[[Any], Any]]] = (
            {kind: _box_of(t) for kind, t in transcoder.types.items()} if self.is_fast else {}
        )
        self._classes: dict[type, tuple[str, int]] = {}

    def to_stored_event(self, event: Any) -> StoredEvent:
        """What `mapper.to_stored_event(event)` returns."""
        if not self.is_fast:
            return self._mapper.to_stored_event(event)
        cls = type(event)
        found = self._classes.get(cls)
        if found is None:
            found = self._classes[cls] = (get_topic(cls), getattr(cls, "class_version", 1))
        topic, class_version = found
        state = dict(vars(event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=self.encode_state(state),
        )

    def encode_state(self, state: dict[str, Any]) -> bytes:
        """What `mapper.transcoder.encode(state)` returns (the mapper's other steps aside)."""
        if self.is_fast:
            try:
                return _JSON.encode(self._boxed_dict(state))
            except (_Unusual, UnicodeEncodeError):
                pass  # the library encodes it, or raises its own error
        return self._mapper.transcoder.encode(state)

    def _boxed_dict(self, state: dict) -> dict:
        boxed = {}
        for key, value in state.items():
            if type(key) is not str:
                raise _Unusual
            boxed[key] = self._boxed(value)
        return boxed

    def _boxed(self, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is dict:
            return self._boxed_dict(value)
        if kind is list:
            return [self._boxed(item) for item in value]
        box = self._boxes.get(kind)
        if box is None:
            raise _Unusual  # floats, tuples, subclasses: as the library does, or its error
        name, encode = box
        return {"_type_": name, "_data_": self._boxed(encode(value))}


def _box_of(transcoding: Transcoding) -> tuple[str, Callable[[Any], Any]]:
    return transcoding.name, _DIRECT.get(type(transcoding), transcoding.encode)
