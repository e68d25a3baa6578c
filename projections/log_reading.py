"""Reading pages of the notification log as domain events, at a fraction of the library's cost.

Profiles of the projection runner and of rebuilds showed much of their CPU spent before any
projection logic: eventsourcing's `select_notifications` builds a dict row and a frozen
`Notification` per event, and its mapper decodes the state with stdlib `json` calling a Python
object hook for every JSON object. Here one query returns plain tuples, `msgspec` parses the
state, a short walk revives the transcoded values (`{"_type_": ..., "_data_": ...}`) bottom-up
as the object hook would, and the event is built exactly as `Mapper.to_domain_event` builds it.

The library stays the authority: with a cipher, a compressor, another transcoder or mapper, the
whole page goes through the library mapper; a row the fast path cannot decode (unknown
transcoding, JSON that stdlib reads and msgspec does not, a failing upcast) goes through it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    Notification,
    OperationalError,
    Transcoding,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic, retry
from psycopg import sql
from psycopg.rows import tuple_row

from app.ledger_app import LedgerApplication

Row = tuple[int, UUID, int, str, bytes]
"""notification_id, originator_id, originator_version, topic, state."""

_JSON = msgspec.json.Decoder()
_PROBE = UUID(int=0)

# The library's own transcodings, by class: the same call without a method dispatch.
_DIRECT: dict[type, Callable[[Any], Any]] = {
    UUIDAsHex: UUID,
    DecimalAsStr: Decimal,
    DatetimeAsISO: datetime.fromisoformat,
}


def revivers(transcoder: JSONTranscoder) -> dict[str, Callable[[Any], Any]]:
    """Each registered transcoding's name and its decoding function."""
    return {name: _reviver(transcoding) for name, transcoding in transcoder.names.items()}


def _reviver(transcoding: Transcoding) -> Callable[[Any], Any]:
    return _DIRECT.get(type(transcoding), transcoding.decode)


def revive(obj: dict, by_name: dict[str, Callable[[Any], Any]]) -> Any:
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


def _revive_list(items: list, by_name: dict[str, Callable[[Any], Any]]) -> None:
    for index, value in enumerate(items):
        kind = type(value)
        if kind is dict:
            items[index] = revive(value, by_name)
        elif kind is list:
            _revive_list(value, by_name)


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
        self._by_name = revivers(transcoder) if self.is_fast else {}
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
        event_state = _JSON.decode(state)
        if type(event_state) is dict:
            event_state = revive(event_state, self._by_name)
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


class LogReader:
    """Pages of the notification log as (notification id, domain event) pairs.

    `read(start, limit, stop, topics)` selects what the library's
    `select_notifications(start, limit, stop, topics, inclusive_of_start=False)` selects.
    """

    def __init__(self, app: LedgerApplication) -> None:
        self._datastore = app.recorder.datastore
        self._table = sql.Identifier(self._datastore.schema, app.events_table)
        self.decoder = EventDecoder(app.mapper)

    def read(
        self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> list[tuple[int, Any]]:
        return self.decoder.decode(self.rows(start, limit, stop, topics))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def rows(
        self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> list[Row]:
        conditions = [sql.SQL("notification_id > %s")]
        params: list[Any] = [start]
        if stop is not None:
            conditions.append(sql.SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(sql.SQL("topic = ANY(%s)"))
            params.append(list(topics))
        params.append(limit)
        statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE {} ORDER BY notification_id LIMIT %s"
        ).format(self._table, sql.SQL(" AND ").join(conditions))
        with (
            self._datastore.get_connection() as connection,
            connection.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement, params, prepare=True, binary=True)
            return cursor.fetchall()
