"""Stored event state to the dict eventsourcing's `JSONTranscoder.decode` returns, in less CPU.

The library parses with stdlib `json` and calls a Python object hook for every JSON object, to
turn transcoded values (`{"_type_": "uuid_hex", "_data_": "..."}`) back into UUIDs, Decimals and
datetimes. Here `msgspec` parses, and the transcoded values are revived as that hook would:
innermost objects first, with the transcoder's own registered transcodings.

Most events keep their transcoded values at the same top-level keys (a timestamp, an id), so
the keys seen for a topic are revived directly. That shortcut is exact only when it revived
every transcoded value of the state: each one spells `_type_` literally in the bytes (a state
without `\\u` escapes cannot spell it any other way), so the shortcut counts them; on any
mismatch the whole state is walked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

Revivers = dict[str, Callable[[Any], Any]]

_JSON = msgspec.json.Decoder()


def uuid_from_hex(data: Any) -> UUID:
    """`UUID(data)`, through msgspec's C parser when it accepts the text (a stricter subset)."""
    if type(data) is str:
        try:
            return msgspec.convert(data, UUID)
        except msgspec.ValidationError:
            pass
    return UUID(data)


# The library's own transcodings, by class: the same call without a method dispatch.
_DIRECT: dict[type, Callable[[Any], Any]] = {
    UUIDAsHex: uuid_from_hex,
    DecimalAsStr: Decimal,
    DatetimeAsISO: datetime.fromisoformat,
}


def revivers(transcoder: JSONTranscoder) -> Revivers:
    """Each registered transcoding's name and its decoding function."""
    return {name: _reviver(transcoding) for name, transcoding in transcoder.names.items()}


def _reviver(transcoding: Transcoding) -> Callable[[Any], Any]:
    return _DIRECT.get(type(transcoding), transcoding.decode)


def revive(obj: dict, by_name: Revivers) -> Any:
    """`JSONTranscoder._decode_obj` applied as stdlib json does: innermost objects first."""
    for key, value in obj.items():
        kind = type(value)
        if kind is dict:
            obj[key] = revive(value, by_name)
        elif kind is list:
            _revive_list(value, by_name)
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        return by_name[obj["_type_"]](obj["_data_"])  # unknown name: KeyError, the slow path
    return obj


def _revive_list(items: list, by_name: Revivers) -> None:
    for index, value in enumerate(items):
        kind = type(value)
        if kind is dict:
            items[index] = revive(value, by_name)
        elif kind is list:
            _revive_list(value, by_name)


def _is_flat_box(value: Any) -> bool:
    """A transcoded value whose data holds nothing transcoded in turn."""
    return (
        type(value) is dict
        and len(value) == 2
        and "_type_" in value
        and type(value.get("_data_")) is str
    )


class StateDecoder:
    """`JSONTranscoder.decode` for one transcoder; raises where the library might decide else."""

    def __init__(self, transcoder: JSONTranscoder) -> None:
        self._by_name = revivers(transcoder)
        self._boxed_keys: dict[str, tuple[str, ...]] = {}

    def decode(self, topic: str, state: bytes) -> dict[str, Any]:
        keys = self._boxed_keys.get(topic)
        if keys is not None and b"\\u" not in state:
            decoded = _JSON.decode(state)
            if type(decoded) is dict and self._revive_at(decoded, keys) == state.count(b"_type_"):
                return decoded
        return self._walk_and_learn(topic, state)

    def _revive_at(self, decoded: dict, keys: tuple[str, ...]) -> int:
        """Revives the flat transcoded values at `keys`; how many there were."""
        by_name = self._by_name
        revived = 0
        for key in keys:
            value = decoded.get(key)
            if type(value) is dict and len(value) == 2 and "_type_" in value:
                data = value.get("_data_")
                if type(data) is str:
                    decoded[key] = by_name[value["_type_"]](data)
                    revived += 1
        return revived

    def _walk_and_learn(self, topic: str, state: bytes) -> dict[str, Any]:
        decoded = _JSON.decode(state)
        if type(decoded) is not dict:
            raise TypeError("event state is not a JSON object")  # the library's to refuse
        boxed = [key for key, value in decoded.items() if _is_flat_box(value)]
        known = self._boxed_keys.get(topic, ())
        self._boxed_keys[topic] = tuple(dict.fromkeys([*known, *boxed]))
        return revive(decoded, self._by_name)
